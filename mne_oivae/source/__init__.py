"""Source estimates and labels in, per-component brain maps out.

The MNE side of oi-VAE for MEG/EEG source data: :func:`read_hcpmmp1_labels`
reads a parcellation, :func:`stc_to_groups` turns cortical
(:class:`mne.SourceEstimate`), volume (:class:`mne.VolSourceEstimate`) or mixed
(:class:`mne.MixedSourceEstimate`) source estimates and a parcellation into a
data matrix and a :class:`~mne_oivae.GroupSpec`; :func:`component_maps` turns a
fitted model back into brain maps (tables of regions come from
:mod:`mne_oivae.results`), and :func:`save_component_maps` writes the maps as
GIFTI and NIfTI files.
"""

from ._export import save_component_maps
from ._groups import GroupedSource, stc_to_groups
from ._hcpmmp1 import fsaverage_subjects_dir, read_hcpmmp1_labels
from ._maps import component_maps

__all__ = ["GroupedSource", "component_maps", "fsaverage_subjects_dir", "read_hcpmmp1_labels",
           "save_component_maps", "stc_to_groups"]
