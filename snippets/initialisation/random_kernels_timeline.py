"""Two meanings of "random kernels", on one timeline.

Orange squares: random weights that are *kept fixed* and used as features, with only a readout
trained; the idea is older than backpropagation. Blue circles: random numbers as the *starting
point* of weights that learning then changes (backpropagation made this the usual start from
1986 on), and the initialisation schemes that made deeper networks trainable. Grey diamonds:
early networks of shared, shift-tolerant kernels (convolution in space or in time) whose kernels
were learned. Every entry is a published work listed on the References page.

Needs: pip install matplotlib==3.11.2
"""

# %%
import textwrap

import matplotlib.pyplot as plt

# (year, short citation, what it showed, lane)
# lane "fixed": random weights are never trained; only a readout on top is
# lane "start": random numbers are where learned weights start
# lane "shared": kernels shared across positions (in space or time), learned
EVENTS = [
    (1958, "Rosenblatt", "perceptron: fixed random connections, trained output", "fixed"),
    (1973, "von der Malsburg", "random initial connections, then self-organised", "start"),
    (1980, "Fukushima", "neocognitron: shift-tolerant, learned without labels", "shared"),
    (1986, "Rumelhart, Hinton & Williams", "backprop made popular; small random starts", "start"),
    (1988, "Broomhead & Lowe", "radial basis functions: fixed centres, linear fit", "fixed"),
    (1989, "LeCun et al.", "CNN kernels start uniform in ±2.4/fan-in", "start"),
    (1989, "Waibel et al.", "time-delay net: kernels shared in time", "shared"),
    (1992, "Schmidt et al.", "random hidden weights, trained output", "fixed"),
    (1992, "Pao & Takefuji", "random-vector functional-link net", "fixed"),
    (2001, "Jaeger", "echo-state network: fixed random reservoir", "fixed"),
    (2002, "Maass, Natschläger & Markram", "liquid-state machine", "fixed"),
    (2004, "Huang, Zhu & Siew", "extreme learning machine", "fixed"),
    (2007, "Rahimi & Recht", "random features for kernel machines", "fixed"),
    (2009, "Jarrett et al.", "random conv filters + rectification, normalisation", "fixed"),
    (2010, "Glorot & Bengio", "scale by fan-in and fan-out", "start"),
    (2011, "Saxe et al.", "why random conv + pooling works; ranks architectures", "fixed"),
    (2014, "Saxe, McClelland & Ganguli", "orthogonal initialisation", "start"),
    (2015, "He et al.", "variance 2/fan-in for ReLU", "start"),
    (2015, "Ioffe & Szegedy", "batch normalisation", "start"),
    (2016, "He et al.", "residual networks", "start"),
    (2019, "Zhang, Dauphin & Ma", "Fixup: deep ResNets without norm", "start"),
    (2020, "De & Smith", "SkipInit: zero-scaled residual branch", "start"),
    (2020, "Dempster, Petitjean & Webb", "ROCKET: thousands of random 1-D kernels", "fixed"),
    (2020, "Ramanujan et al.", "random weights kept; only a subnetwork chosen", "fixed"),
    (2021, "Brock et al.", "NFNets: normaliser-free at scale", "start"),
    (2021, "Frankle, Schwab & Morcos", "train only BatchNorm on random kernels", "fixed"),
]

years = [year for year, *_ in EVENTS]
assert years == sorted(years)  # one row per work, in order of publication
first_year, last_year = min(years), max(years)
first_fixed = min(year for year, _, _, lane in EVENTS if lane == "fixed")
first_start = min(year for year, _, _, lane in EVENTS if lane == "start")
backprop_popular = next(year for year, who, *_ in EVENTS if who.startswith("Rumelhart"))
# Random weights kept fixed came first, years before random starts that learning then changes.
years_before_start = first_start - first_fixed
assert (first_fixed, first_start, backprop_popular, years_before_start) == (1958, 1973, 1986, 15)
n_fixed = sum(lane == "fixed" for *_, lane in EVENTS)

# %% One row per work, oldest at the top: a narrow strip places each work on the year axis
# (colour and shape say which lane it belongs to), its citation is written beside it.
fig, ax = plt.subplots(figsize=(4.9, 10.2))
colours = {"fixed": "tab:orange", "start": "tab:blue", "shared": "0.45"}
markers = {"fixed": "s", "start": "o", "shared": "D"}  # shape as well as colour
labels = {
    "fixed": "random and kept fixed",
    "start": "random start, then learned",
    "shared": "shared kernels, learned",
}
for row, (year, who, what, lane) in enumerate(EVENTS):
    ax.plot(year, row, markers[lane], color=colours[lane], ms=6, label=labels.pop(lane, None))
    ax.plot([year, last_year + 3], [row, row], color="0.8", lw=0.6, zorder=0)  # marker to text
    ax.annotate(
        textwrap.fill(f"{who}: {what}", 40, break_on_hyphens=False),  # two lines
        (1, row),
        xycoords=("axes fraction", "data"),
        xytext=(5, 0),
        textcoords="offset points",
        va="center",
        fontsize=9,
        linespacing=1.1,
        annotation_clip=False,
    )
ax.set_yticks(range(len(EVENTS)), [str(year) for year, *_ in EVENTS], fontsize=9)
ax.tick_params(axis="y", length=0)
ax.set_ylim(len(EVENTS) - 0.5, -0.5)
ax.set_xlim(first_year - 3, last_year + 3)
ax.set_xticks([1960, 1990, 2020])
ax.tick_params(axis="x", labelsize=9, top=True, labeltop=True, labelbottom=False)  # years on top
ax.grid(axis="x", alpha=0.3)
ax.legend(
    loc="lower left",
    bbox_to_anchor=(0.02, 0.902),
    bbox_transform=fig.transFigure,
    ncol=2,
    fontsize=9,
    frameon=False,
    handletextpad=0.2,
    columnspacing=1.0,
    borderaxespad=0,
)
fig.suptitle(
    f"Random weights: kept fixed since {first_fixed},\n"
    f"a starting point for learning since {first_start}",
    x=0.03,
    y=0.99,
    ha="left",
    fontsize=11,
)
fig.subplots_adjust(left=0.09, right=0.38, top=0.871, bottom=0.007)
plt.show()
