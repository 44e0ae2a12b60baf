"""Figures: weight heatmaps, component maps on the brain, skeleton poses."""

from ._brain import component_image, plot_component, plot_group_interactions
from ._pose import plot_pose, plot_poses
from ._selection import plot_lam_selection
from ._weights import plot_group_weights

__all__ = ["plot_group_weights", "plot_component", "component_image", "plot_group_interactions",
           "plot_pose", "plot_poses", "plot_lam_selection"]
