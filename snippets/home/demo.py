"""Demo."""

# %%
import matplotlib.pyplot as plt
import numpy as np

total = 3.0
print("hello")
fig, ax = plt.subplots()
ax.plot(np.arange(4))
plt.show()
