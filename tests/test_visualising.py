"""Chapter "Visualising what ConvNets learn": the walkthrough notebook runs headless, as a reader
would run it, and the claims its pictures rest on hold.

docs/visualising.py (jupytext percent format) is executed once, cell by cell, by a Jupyter kernel
started in an empty temporary folder. Later tests run small probes in that same kernel to read
the measured values and to cross-check the notebook's helpers against reference implementations.
"""

from __future__ import annotations

import base64
import json
import re
import textwrap

import jupytext
import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from conftest import ROOT, notebook_client
from kernelsite.figurefiles import palette_png

NOTEBOOK = ROOT / "docs" / "visualising.py"
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colours in kernel tracebacks
FIGURE_BUDGET = 200_000  # bytes of PNG for the whole page (its limit is 400 KB gzip in all)


def _where(cell) -> str:
    """'line N of docs/visualising.py' for the first line of a cell (for failure messages)."""
    first = next(line for line in cell.source.splitlines() if line.strip())
    lines = NOTEBOOK.read_text("utf-8").splitlines()
    number = next((n for n, line in enumerate(lines, 1) if line == first), "?")
    return f"code cell starting {first!r} (line {number} of docs/visualising.py)"


class Kernel:
    """The executed notebook and its live kernel, for probes."""

    def __init__(self, notebook, client):
        self.notebook = notebook
        self.client = client

    def run(self, code: str) -> str:
        """Run code in the notebook's kernel; return what it printed. The notebook is unchanged."""
        cell = nbformat.v4.new_code_cell(textwrap.dedent(code))
        self.notebook.cells.append(cell)  # nbclient stores results by cell index
        try:
            self.client.execute_cell(cell, len(self.notebook.cells) - 1)
        finally:
            self.notebook.cells.pop()
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")

    def values(self, expression: str):
        return json.loads(self.run(f"import json\nprint(json.dumps({expression}))"))


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("empty")
    notebook = jupytext.read(NOTEBOOK)
    client = notebook_client(notebook, folder)
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                traceback = ANSI.sub("", str(error))
                pytest.fail(f"{_where(cell)} raised:\n{traceback}", pytrace=False)
        yield Kernel(notebook, client)
    assert list(folder.iterdir()) == [], "the notebook wrote files into its working folder"


def _outputs(kernel):
    for cell in kernel.notebook.cells:
        if cell.cell_type == "code":
            for output in cell.outputs:
                yield cell, output


# -- the notebook itself --------------------------------------------------------------------------


def test_no_cell_writes_to_stderr(kernel):
    for cell, output in _outputs(kernel):
        if output.output_type == "stream":
            assert output.name == "stdout", f"{_where(cell)} printed a warning:\n{output.text}"


def test_every_figure_has_alt_text_and_the_figures_stay_light(kernel):
    # The page takes each figure's alt text from its cell's metadata (# %% alt="..."), and
    # publishes the figure with a 256-colour palette.
    total = 0
    figures = 0
    for cell in kernel.notebook.cells:
        pngs = [
            o["data"]["image/png"]
            for o in cell.get("outputs", [])
            if "image/png" in o.get("data", {})
        ]
        if not pngs:
            continue
        alts = cell.metadata.get("alt", [])
        alts = [alts] if isinstance(alts, str) else alts
        assert len(alts) == len(pngs), (
            f"{_where(cell)}: {len(pngs)} figure(s), {len(alts)} alt text(s)"
        )
        for alt, png in zip(alts, pngs, strict=True):
            assert len(alt) > 40, f"{_where(cell)}: alt text too short: {alt!r}"
            total += len(palette_png(base64.b64decode(png)))
            figures += 1
    assert figures >= 7
    assert total < FIGURE_BUDGET, f"figures weigh {total} bytes"


def test_summary_table_is_markdown(kernel):
    *_, (cell, last) = _outputs(kernel)
    table = last["data"]["text/markdown"]
    assert table.startswith("| measurement | value |")
    assert "CPU time of the whole notebook" in table


# -- the measured claims --------------------------------------------------------------------------


def test_the_network_learned_the_task(kernel):
    assert kernel.values("test_accuracy") > 0.95


def test_activation_maximisation_beats_every_real_digit(kernel):
    # Same pixel range as the digits, yet every live channel responds more than to any test digit.
    ratios = kernel.values("ratio.tolist()")
    assert min(ratios) > 1.2
    assert sorted(ratios)[len(ratios) // 2] > 1.8


def test_regularisation_keeps_images_as_smooth_as_digits(kernel):
    tv = kernel.values("tv")
    assert tv["regularised"] < 1.2 * tv["real test digits"]
    assert tv["plain"] > 1.5 * tv["real test digits"]


def test_synthetic_class_inputs_are_classified_as_their_class(kernel):
    assert kernel.values("class_scores.argmax(1).tolist()") == list(range(10))
    assert min(kernel.values("score_ratio.tolist()")) > 1.0


def test_occluding_the_salient_square_hurts_more_than_a_random_one(kernel):
    v = kernel.values(
        "{'salient': salient_drop.mean().item(), 'random': random_drop.mean().item(),"
        " 'beaten': beaten.median().item()}"
    )
    assert v["salient"] > 1.3 * v["random"] > 0
    assert v["beaten"] > 0.6


def test_gradient_saliency_passes_the_weight_randomisation_check(kernel):
    assert kernel.values("float(np.median(rho))") < 0.4


# -- the helpers, against reference implementations -----------------------------------------------


def test_blur_equals_scipy_gaussian_filter(kernel):
    # sigma 0.5 with truncate 2 makes scipy use radius 1, the notebook's 3x3 kernel;
    # scipy's mode 'nearest' repeats edge pixels like the notebook's 'replicate' padding.
    out = kernel.run(
        """
        import scipy.ndimage
        x = x_test[:3]
        ours = blur(x)[:, 0].numpy()
        theirs = [scipy.ndimage.gaussian_filter(im, 0.5, mode="nearest", truncate=2.0)
                  for im in x[:, 0].numpy()]
        print(abs(ours - np.stack(theirs)).max())
        """
    )
    assert float(out) < 1e-6


def test_gradient_saliency_matches_finite_differences(kernel):
    out = kernel.run(
        """
        # a little noise breaks the exact ties (flat background) where max-pooling has a kink
        noise = torch.randn(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))
        x = (x_test[5:6] + 0.01 * noise).double()
        net = copy.deepcopy(model).double()
        target = int(predicted[5])
        g = gradient_saliency(net, x, torch.tensor([target]))[0]
        errors = []
        for i, j in [(3, 4), (8, 8), (12, 6), (5, 11)]:
            step = torch.zeros_like(x)
            step[0, 0, i, j] = 1e-6
            with torch.no_grad():
                fd = (net(x + step)[0, target] - net(x - step)[0, target]) / 2e-6
            errors.append(abs(abs(fd.item()) - g[i, j].item()))
        print(max(errors))
        """
    )
    assert float(out) < 1e-6


def test_batched_saliency_equals_one_image_at_a_time(kernel):
    # gradient_saliency sums the scores of a batch: valid only if images do not interact
    out = kernel.run(
        """
        batch = gradient_saliency(model, x_test[:6], predicted[:6])
        single = torch.cat([gradient_saliency(model, x_test[n : n + 1], predicted[n : n + 1])
                            for n in range(6)])
        print((batch - single).abs().max().item())
        """
    )
    assert float(out) < 1e-6


def test_occlusion_map_equals_explicit_average_over_covering_squares(kernel):
    out = kernel.run(
        """
        image, target = x_test[7], int(predicted[7])
        fast = occlusion_map(image, target)
        with torch.no_grad():
            base = model(image[None])[0, target]
            i, j = 6, 9  # one pixel; the squares covering it have corners i-3..i, j-3..j
            drops = []
            for a in range(i - PATCH + 1, i + 1):
                for b in range(j - PATCH + 1, j + 1):
                    hidden = image.clone()
                    hidden[:, a : a + PATCH, b : b + PATCH] = GREY
                    drops.append(base - model(hidden[None])[0, target])
        print(abs(fast[i, j] - torch.stack(drops).mean()).item())
        """
    )
    assert float(out) < 1e-5
