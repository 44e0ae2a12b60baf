"""Source estimates and labels in, per-component brain maps out.

The MNE side of oi-VAE for MEG/EEG source data: :func:`read_hcpmmp1_labels`
reads a parcellation, :func:`stc_to_groups` turns cortical
(:class:`mne.SourceEstimate`), volume (:class:`mne.VolSourceEstimate`) or mixed
(:class:`mne.MixedSourceEstimate`) source estimates and a parcellation into a
data matrix and a :class:`~mne_oivae.GroupSpec`; :func:`component_maps` turns a
fitted model back into brain maps (tables of regions come from
:mod:`mne_oivae.results`), and :func:`save_component_maps` writes the maps as
GIFTI and NIfTI files. Between the two, :func:`symmetric_orthogonalize`
corrects region time courses for leakage, :func:`amplitude_envelope` turns
them into band-limited amplitude envelopes, :func:`band_pass` into
band-limited time courses and :func:`low_pass` keeps their slow activity (all
are also options of :func:`stc_to_groups`).
"""

from ._envelope import amplitude_envelope, band_pass, low_pass
from ._export import save_component_maps
from ._groups import GroupedSource, stc_to_groups
from ._hcpmmp1 import fsaverage_subjects_dir, read_hcpmmp1_labels
from ._leakage import symmetric_orthogonalize
from ._maps import component_maps

__all__ = ["GroupedSource", "amplitude_envelope", "band_pass", "component_maps",
           "fsaverage_subjects_dir", "low_pass", "read_hcpmmp1_labels", "save_component_maps",
           "stc_to_groups", "symmetric_orthogonalize"]
