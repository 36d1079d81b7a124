import numpy as np
import pytest

from mesa.geometry import boundary_edges, build_grid_mesh, decimate_mesh, max_height_error, rasterize_heights


def _hills(height=48, width=40):
    rows, columns = np.mgrid[0:height, 0:width] / 10.0
    return 50 * np.sin(rows) * np.cos(1.3 * columns) + 20 * rows


def _border_ids(mesh):
    height, width = mesh.grid_shape
    x, y = mesh.vertices[:, 0], mesh.vertices[:, 1]
    far_x, far_y = (width - 1) * mesh.meters_per_pixel, (height - 1) * mesh.meters_per_pixel
    return np.flatnonzero((x == 0) | (y == 0) | (x == far_x) | (y == far_y))


def test_budget_honoured_and_error_reported():
    mesh = build_grid_mesh(_hills(), 5.0)
    result = decimate_mesh(mesh, 800)
    assert result.triangle_count <= 800 == result.target_triangles
    assert result.triangle_count == result.mesh.triangle_count
    assert 0 < result.max_height_error_m == pytest.approx(max_height_error(mesh, result.mesh))
    assert result.max_height_error_m < 0.5 * np.ptp(mesh.vertices[:, 2])


def test_border_vertices_are_kept_exactly_and_the_outline_stays_straight():
    mesh = build_grid_mesh(_hills(), 5.0)
    result = decimate_mesh(mesh, 600)
    original = {tuple(v) for v in mesh.vertices[_border_ids(mesh)]}
    kept = {tuple(v) for v in result.mesh.vertices[_border_ids(result.mesh)]}
    assert kept == original
    # every open edge of the decimated mesh lies on one side of the rectangle
    edges = result.mesh.vertices[boundary_edges(result.mesh.faces)]
    same_x = edges[:, 0, 0] == edges[:, 1, 0]
    same_y = edges[:, 0, 1] == edges[:, 1, 1]
    assert (same_x | same_y).all()
    assert len(edges) == 2 * (47 + 39)


def test_decimated_surface_covers_the_whole_tile_and_planes_stay_exact():
    rows, columns = np.mgrid[0:30, 0:30].astype(np.float64)
    mesh = build_grid_mesh(3 * columns - rows, 1.0)
    result = decimate_mesh(mesh, 250)
    heights = rasterize_heights(result.mesh.vertices, result.mesh.faces, mesh.grid_shape, 1.0)
    assert not np.isnan(heights).any()
    assert result.max_height_error_m < 1e-6


def test_uvs_and_normals_follow_the_moved_vertices():
    mesh = build_grid_mesh(_hills(), 5.0)
    decimated = decimate_mesh(mesh, 700).mesh
    height, width = mesh.grid_shape
    expected_u = (decimated.vertices[:, 0] / 5.0 + 0.5) / width
    np.testing.assert_allclose(decimated.uv[:, 0], expected_u)
    np.testing.assert_allclose(np.linalg.norm(decimated.normals, axis=1), 1.0)


def test_budget_too_small_for_the_border_is_refused():
    with pytest.raises(ValueError, match="border"):
        decimate_mesh(build_grid_mesh(_hills(), 5.0), 50)


def test_budget_above_the_grid_returns_it_unchanged():
    mesh = build_grid_mesh(_hills(8, 9), 1.0)
    result = decimate_mesh(mesh, 10_000)
    assert result.mesh is mesh and result.max_height_error_m == 0.0
