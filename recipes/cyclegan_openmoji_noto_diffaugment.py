"""Continuation of `cyclegan-openmoji-noto` with DiffAugment's translation and
cutout on every image both discriminators see (real, generated and from the
history pools, in both players' losses), on the schedule of
`recipes/cyclegan_openmoji_noto_anneal.py`: the full rate of 2e-4 for the first
half of the run, then all four rates decayed linearly toward 0.

Why: the preset's discriminators end its run at a least-squares loss of
0.07-0.09 (one that outputs 0.5 for every image, real or generated, scores
0.125): each has learnt the 4,066 training emoji of its domain, the
limited-data regime DiffAugment was made for (Zhao et al. 2020), and the
preset still translates OpenMoji into images further from the held-out Noto
emoji than the untranslated input (FID 157.0 against 139.6).
No colour transforms: the difference between the two domains is largely
colour and shading, which the discriminators must keep seeing as it is.
Meant for `--init-from` the preset:

    keras-gan-zoo train cyclegan_openmoji_noto_diffaugment --init-from cyclegan-openmoji-noto \\
        --steps 6000 --checkpoint-every 500 --run-dir runs/cyclegan-diffaugment \\
        --out runs/cyclegan-diffaugment/preset
    keras-gan-zoo evaluate runs/cyclegan-diffaugment/preset

(about half a second a step on a 2-core CPU: 50 minutes). As in the annealed
recipe, a stepped run changes the rates at each checkpoint interval (full for
the first 6 of 12 intervals of 500 steps, then 5/6, ..., 1/6 of 2e-4), so an
interrupted run resumes on the same schedule.

Its run from the preset of 18,102 steps made the preset shipped on
2026-12-07 (benchmarks/RESULTS.md, "cyclegan-openmoji-noto: 6,000 more steps
with DiffAugment for both discriminators"): FID(G(A), B) 157.0 -> 144.2,
FID(G(B), A) 148.6 -> 129.2, cycle L1 0.022 / 0.030 -> 0.018 / 0.027, in
3,557 s on JAX. Without `--out` it writes `weights/cyclegan-openmoji-noto`.
"""

from keras_gan_zoo.training import main, variant
from cyclegan_openmoji_noto_anneal import RECIPE as ANNEALED

RECIPE = variant(ANNEALED, recipe_file="cyclegan_openmoji_noto_diffaugment.py",
                 augment="translation,cutout")

if __name__ == "__main__":
    main(RECIPE)
