import numpy as np
import pytest
import trimesh

from mesa.geometry import add_base, build_grid_mesh, decimate_mesh


def _solid(mesh):
    return trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)


@pytest.mark.parametrize("decimate", [False, True])
def test_base_makes_a_watertight_outward_solid(decimate):
    rows, columns = np.mgrid[0:20, 0:25] / 4.0
    mesh = build_grid_mesh(100 + 30 * np.sin(rows) * np.cos(columns), 10.0)
    if decimate:
        mesh = decimate_mesh(mesh, 300).mesh
    solid = _solid(add_base(mesh, base_depth_m=12.0))
    assert solid.is_watertight and solid.is_winding_consistent
    assert solid.volume > 0
    assert solid.vertices[:, 2].min() == pytest.approx(mesh.vertices[:, 2].min() - 12.0)
    assert _solid(mesh).is_watertight is False


def test_base_volume_of_a_flat_tile_is_its_box():
    mesh = build_grid_mesh(np.full((5, 6), 7.0), 2.0)
    solid = _solid(add_base(mesh, base_depth_m=3.0))
    assert solid.volume == pytest.approx(10.0 * 8.0 * 3.0)


def test_base_depth_must_be_positive():
    with pytest.raises(ValueError, match="base_depth_m"):
        add_base(build_grid_mesh(np.zeros((3, 3)), 1.0), base_depth_m=0.0)
