"""Demonstrations run by ``mne-oivae demo NAME``; each module has ``run(out_dir, quick)``."""
