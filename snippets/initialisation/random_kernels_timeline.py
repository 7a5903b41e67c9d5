"""Two meanings of "random kernels", on one timeline.

Blue circles: random numbers as the *starting point* of kernels that are then learned, and the
initialisation schemes that made deeper networks trainable. Orange squares: random kernels that
are *kept fixed* and used as features. Every entry is a published work listed on the References
page.
"""

# %%
import matplotlib.pyplot as plt

# (year, short citation, what it showed, lane)
# lane "start": random numbers are where learned weights start
# lane "fixed": random weights are never trained; only a classifier on top is
EVENTS = [
    (1986, "Rumelhart, Hinton & Williams", "backprop from small random weights", "start"),
    (1989, "LeCun et al.", "CNN kernels start uniform in ±2.4/fan-in", "start"),
    (2007, "Rahimi & Recht", "random features for kernel machines", "fixed"),
    (2009, "Jarrett et al.", "random conv filters + rectification do well", "fixed"),
    (2010, "Glorot & Bengio", "scale by fan-in and fan-out", "start"),
    (2011, "Saxe et al.", "why random conv + pooling works", "fixed"),
    (2014, "Saxe, McClelland & Ganguli", "orthogonal initialisation", "start"),
    (2015, "He et al.", "variance 2/fan-in for ReLU", "start"),
    (2015, "Ioffe & Szegedy", "batch normalisation", "start"),
    (2016, "He et al.", "residual networks", "start"),
    (2019, "Zhang, Dauphin & Ma", "Fixup: deep ResNets without norm", "start"),
    (2020, "De & Smith", "SkipInit: zero-scaled residual branch", "start"),
    (2021, "Brock et al.", "NFNets: normaliser-free at scale", "start"),
    (2021, "Frankle, Schwab & Morcos", "train only BatchNorm on random kernels", "fixed"),
]

years = [year for year, *_ in EVENTS]
first_year, last_year = min(years), max(years)
assert (first_year, last_year) == (1986, 2021)
# Random initialisation came first; fixed random features were studied two decades later.
first_fixed = min(year for year, _, _, lane in EVENTS if lane == "fixed")
assert first_fixed - first_year == 21

# %% One row per work, oldest at the top; colour says which meaning of "random" it is about.
fig, ax = plt.subplots(figsize=(8, 5))
colours = {"start": "tab:blue", "fixed": "tab:orange"}
markers = {"start": "o", "fixed": "s"}  # shape as well as colour tells the lanes apart
labels = {"start": "random start, then learned", "fixed": "random and kept fixed"}
for row, (year, who, what, lane) in enumerate(EVENTS):
    ax.plot(year, row, markers[lane], color=colours[lane], ms=7, label=labels.pop(lane, None))
    # Early entries are labelled to the right of their dot, later ones to the left.
    right = year < 2000
    ax.annotate(
        f"{who}: {what}",
        (year, row),
        xytext=(8 if right else -8, 0),
        textcoords="offset points",
        ha="left" if right else "right",
        va="center",
        fontsize=8,
    )
ax.set_yticks(range(len(EVENTS)), [str(year) for year, *_ in EVENTS], fontsize=8)
ax.set_ylim(len(EVENTS) - 0.5, -0.5)
ax.set_xlim(first_year - 2, last_year + 2)
ax.set_xlabel("year of publication")
ax.grid(axis="x", alpha=0.3)
ax.legend(loc="lower left", fontsize=8)
ax.set_title("Random kernels: a starting point since 1986, fixed random features from 2007")
fig.tight_layout()
plt.show()
