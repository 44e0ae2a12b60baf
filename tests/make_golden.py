"""Write the golden model files that ``test_golden.py`` reads (run only on purpose).

Three tiny models, fitted on fixed data, saved with :meth:`mne_oivae.OIVAE.save`,
and their ``transform`` and ``score_samples`` outputs beside them. They are
fitted in a layout of three padded size buckets (:data:`WRITTEN_BUCKET_COST`),
which the default heuristic does not pick for them, so that reading them
already builds another layout than the one they were written from. The test
reads the files with the current code and demands the same outputs, so a
change that breaks files written before it (a new layout of the saved state, a
renamed parameter) fails CI. Regenerate only with a deliberate file format
change, and say so in the changelog. The files of :data:`MODELS` are of format 3,
the oldest still read (models fitted on the data as given, before
``OIVAE.scale_``), and are no longer written; :data:`SCALED` is of format 4 (a
Gaussian model with its ``scale_``), also kept as written; :data:`CURRENT` is of
format 5 (a Student-t model, its likelihood saved with it)::

    python tests/make_golden.py
"""

from pathlib import Path

import numpy as np

from mne_oivae import OIVAE
from mne_oivae._engine import network

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
# unequal groups in a scrambled feature order: several padded size buckets
GROUPS = [[3, 7, 1], [0, 9], [2, 4, 5, 6, 8], [10], [11]]
N_IMPORTANCE = 20
#: Padding cells worth one more bucket while writing: buckets of sizes (5), (3, 2), (1, 1).
WRITTEN_BUCKET_COST = 2.0
#: Format 3 (before ``OIVAE.scale_``), written by an earlier version and kept as
#: they are: the current code writes format 4.
MODELS = {
    "hidden": dict(group_latent_dim=2, generator_hidden=(4,), encoder_hidden=(3,)),
    "identity": dict(group_latent_dim=None),
}
#: Format 4: a model fitted on the data in other units (times :data:`UNITS`), its
#: ``scale_`` saved with it; written by an earlier version and kept as it is.
SCALED = {"scaled": dict(group_latent_dim=2, generator_hidden=(4,), encoder_hidden=(3,))}
#: Format 5, the current one: a Student-t model (learned degrees of freedom) on
#: the data in other units.
CURRENT = {"student_t": dict(group_latent_dim=2, generator_hidden=(4,), encoder_hidden=(3,),
                             likelihood="student_t")}
UNITS = 1e-9


def golden_data(name="hidden"):
    """The fixed data the golden model *name* was fitted on and is scored on."""
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((64, 3)) @ rng.standard_normal((3, 12))
         + 0.3 * rng.standard_normal((64, 12))).astype(np.float32)
    return X * np.float32(UNITS) if name in SCALED or name in CURRENT else X


def outputs(model, X):
    """The outputs that must not change: posterior means and log-likelihoods."""
    return {"transform": model.transform(X),
            "score_samples": model.score_samples(X, n_importance=N_IMPORTANCE,
                                                 random_state=0)}


def main():
    network.bucket_cost_for = lambda n_rows, out_width: WRITTEN_BUCKET_COST
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, params in CURRENT.items():  # the current format's files only
        X = golden_data(name)
        model = OIVAE(n_components=3, lam=0.1, groups=GROUPS, n_iter=40, batch_size=16,
                      n_init=1, random_state=0, verbose=False, **params).fit(X)
        model.save(GOLDEN / f"{name}.h5", overwrite=True)
        np.savez(GOLDEN / f"{name}_outputs.npz", **outputs(model, X))


if __name__ == "__main__":
    main()
