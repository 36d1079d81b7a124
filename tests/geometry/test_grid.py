import numpy as np

from mesa.geometry import build_grid_mesh, grid_faces, grid_normals, pixel_uv


def test_768_tile_at_10_m_spans_7670_m():
    mesh = build_grid_mesh(np.zeros((768, 768), np.float32), 10.0)
    extent = mesh.vertices.max(axis=0) - mesh.vertices.min(axis=0)
    assert extent[0] == 7670.0 and extent[1] == 7670.0
    assert mesh.triangle_count == 2 * 767 * 767


def test_axes_units_and_exaggeration():
    elevation = np.arange(12, dtype=np.float64).reshape(3, 4)
    mesh = build_grid_mesh(elevation, 2.5, vertical_exaggeration=2.0)
    grid = mesh.vertices.reshape(3, 4, 3)
    np.testing.assert_array_equal(grid[0, :, 0], [0.0, 2.5, 5.0, 7.5])  # X east along columns
    np.testing.assert_array_equal(grid[:, 0, 1], [5.0, 2.5, 0.0])  # Y north against rows
    np.testing.assert_array_equal(grid[..., 2], elevation * 2.0)


def test_uvs_hit_pixel_centres():
    height, width = 5, 7
    mesh = build_grid_mesh(np.zeros((height, width)), 1.0)
    uv = mesh.uv.reshape(height, width, 2)
    rows, columns = np.mgrid[0:height, 0:width]
    np.testing.assert_allclose(uv[..., 0], (columns + 0.5) / width)
    np.testing.assert_allclose(uv[..., 1], 1.0 - (rows + 0.5) / height)
    np.testing.assert_allclose(pixel_uv(np.array([0.0]), np.array([4.0]), (height, width), 1.0), [[0.5 / 7, 0.9]])


def test_faces_point_up_and_cover_every_cell():
    faces = grid_faces(4, 6)
    mesh = build_grid_mesh(np.random.default_rng(0).normal(size=(4, 6)), 1.0)
    a, b, c = (mesh.vertices[faces[:, k]] for k in range(3))
    assert (np.cross(b - a, c - a)[:, 2] > 0).all()
    assert len(np.unique(np.sort(faces, axis=1), axis=0)) == len(faces) == 2 * 3 * 5


def test_normals_of_a_plane_are_exact():
    rows, columns = np.mgrid[0:6, 0:8].astype(np.float64)
    spacing = 2.0
    # z rises 0.5 m per metre east and 0.25 m per metre north (rows run south)
    elevation = 0.5 * columns * spacing - 0.25 * rows * spacing
    normals = grid_normals(elevation, spacing)
    expected = np.array([-0.5, -0.25, 1.0]) / np.linalg.norm([-0.5, -0.25, 1.0])
    np.testing.assert_allclose(normals, np.broadcast_to(expected, normals.shape), atol=1e-12)
    np.testing.assert_allclose(build_grid_mesh(elevation, spacing).normals, normals.reshape(-1, 3))
