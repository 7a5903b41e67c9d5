# %% [markdown]
# # Convolution by hand
#
# Math: $g = f \circledast h$ and
# $$ g[n] = \sum_k f[k] h[n-k] $$

# %%
import matplotlib.pyplot as plt
import numpy as np

plt.plot(np.arange(5))
plt.show()
