"""Threads: every kernel's outputs bitwise equal at 1 and 2 OpenMP threads (one test
over all the fastnn._C entries), kernels called from several Python threads at once
(the GIL is released, so they really overlap) give the single-threaded results, and
fastnn runs beside PyTorch and scikit-learn without OpenMP runtime clashes."""
import concurrent.futures
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from test_fuzz import CALLS

def _results(make_call, dtype=np.float32):
    """The call's outputs at sizes large enough that every kernel splits its work."""
    fn, args, kwargs = make_call(np.random.default_rng(7), [12, 9, 20, 20, 3], dtype)
    out = fn(*args, **kwargs)
    return [o for o in (out if isinstance(out, tuple) else (out,)) if o is not None]


@pytest.mark.kernel
@pytest.mark.parametrize("make_call", CALLS, ids=lambda f: f.__name__)
def test_every_kernel_is_bitwise_equal_at_1_and_2_threads(threads, make_call):
    threads(1)
    one = _results(make_call)
    threads(2)
    two = _results(make_call)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_kernels_called_from_several_python_threads_at_once():
    expected = {call.__name__: _results(call) for call in CALLS}

    def run(call):
        return call.__name__, _results(call)

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for name, got in pool.map(run, CALLS * 3):
            for a, b in zip(got, expected[name]):
                np.testing.assert_array_equal(a, b, err_msg=name)


def test_fastnn_beside_torch_and_sklearn_has_no_openmp_clash():
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    pytest.importorskip("threadpoolctl")
    script = textwrap.dedent("""
        import numpy as np, torch, sklearn.linear_model, fastnn, threadpoolctl
        info = threadpoolctl.threadpool_info()
        print(sorted({(i["user_api"], i["internal_api"]) for i in info}))
        a = np.random.default_rng(0).standard_normal((300, 200)).astype(np.float32)
        x = fastnn.tensor(a)
        got = (x @ x.T).numpy()
        np.testing.assert_allclose(got, torch.from_numpy(a) @ torch.from_numpy(a).T, rtol=1e-4, atol=1e-3)
        sklearn.linear_model.Ridge().fit(a, a[:, 0])
        print("ok", fastnn.backend_info()["openmp"])
    """)
    # Run outside the source tree, so the installed package is the one imported.
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd="/")
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout
