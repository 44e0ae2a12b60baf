"""Source estimates and labels in, per-component brain maps out.

The MNE side of oi-VAE for MEG/EEG source data: :func:`stc_to_groups` turns
cortical (:class:`mne.SourceEstimate`), volume (:class:`mne.VolSourceEstimate`)
or mixed (:class:`mne.MixedSourceEstimate`) source estimates and a
parcellation into a data matrix and a :class:`~mne_oivae.GroupSpec`;
:func:`component_maps`, :func:`top_groups` and :func:`group_interactions` turn a
fitted model back into brain maps and tables, and :func:`save_component_maps`
writes the maps as GIFTI and NIfTI files.
"""

from ._export import save_component_maps
from ._groups import GroupedSource, stc_to_groups
from ._maps import component_maps
from ._tables import group_interactions, top_groups

__all__ = ["GroupedSource", "component_maps", "group_interactions",
           "save_component_maps", "stc_to_groups", "top_groups"]
