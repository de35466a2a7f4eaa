"""Every shipped suite file matches its manifest (CI's integrity check of data/)."""
import pytest

from cosmotransfer import paths
from cosmotransfer.store import read_suite, verify_suite_file

SHIPPED = sorted(paths.DATA_DIR.rglob("*.npz"))


@pytest.mark.skipif(not SHIPPED, reason="no suite files shipped under data/")
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(paths.DATA_DIR)))
def test_shipped_file_matches_manifest(path):
    manifest = verify_suite_file(path)
    data = read_suite(path, verify=False)
    assert len(data) == manifest["n"]
    if data.tier == "quijote":  # converted, not simulated: provenance instead of settings (test_quijote)
        assert path == paths.suite_file(data.suite, "quijote") and manifest["source_sha256"]
        return
    assert data.meta["config_hash"] == manifest["config_hash"]
    # where `cosmotransfer simulate` puts a file of that suite, tier and preset
    assert path == paths.preset_suite_file(data.suite, data.tier, manifest["preset"])
