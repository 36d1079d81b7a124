"""export_world: the saved world reloads, tile meshes meet exactly, the folder is replaced in one step."""

import json

import numpy as np
import pytest

from mesa.errors import UserError
from mesa.world.export import export_world
from mesa.world.storage import load_world


@pytest.fixture(scope="module")
def exported(hills_world, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "world"
    return hills_world, export_world(hills_world, out, formats="png16,exr", engine="unity", lod_triangles=500)


def glb_vertices(path):
    import trimesh

    mesh = trimesh.load(path, force="mesh", process=False)
    return np.asarray(mesh.vertices), mesh


def test_every_file_is_listed_and_exists(exported):
    world, result = exported
    listed = json.loads((result.out_dir / "world.json").read_text())["files"]
    assert {f["role"] for f in listed} >= {"world", "mosaic_heightmap", "tile_mesh", "lod_mesh", "engine_tile",
                                            "engine_sidecar"}
    assert all((result.out_dir / f["path"]).is_file() for f in listed)
    assert all(path.is_file() for path in result.paths())
    assert len(result.paths("engine_tile")) == 2 and result.engine_tiles.folder == result.out_dir / "unity"
    assert not list(result.out_dir.glob(".*"))  # no staging left behind


def test_the_saved_world_reloads_as_it_was(exported):
    world, result = exported
    loaded = load_world(result.out_dir)
    for name in ("rgb", "elevation_m", "dem", "latents"):
        assert np.array_equal(getattr(loaded, name), getattr(world, name)), name
    assert np.array_equal(loaded.prompt_map.labels, world.prompt_map.labels)
    assert loaded.cells == world.cells and loaded.settings == world.settings and loaded.layout == world.layout
    assert loaded.scales == world.scales and loaded.origin == world.origin and loaded.history == world.history


def test_tile_meshes_share_their_border_vertices(exported):
    world, result = exported
    west, west_mesh = glb_vertices(result.out_dir / "tiles/x0_y0/world_x0_y0.glb")
    east, _ = glb_vertices(result.out_dir / "tiles/x1_y0/world_x1_y0.glb")
    assert len(west) == 32 * 33 and len(east) == 32 * 32  # the west tile takes the east one's first column
    offsets = [json.loads((result.out_dir / f"tiles/x{i}_y0/terrain.json").read_text())["provenance"]
               for i in (0, 1)]
    shift = np.array(offsets[1]["glb_translation_m"]) - np.array(offsets[0]["glb_translation_m"])
    assert shift.tolist() == [320.0, 0.0, 0.0]
    west_edge = west[np.isclose(west[:, 0], 320.0)]
    east_edge = east[np.isclose(east[:, 0], 0.0)] + shift
    order = np.lexsort(west_edge.T), np.lexsort(east_edge.T)
    assert len(west_edge) == 32 and np.abs(west_edge[order[0]] - east_edge[order[1]]).max() == 0.0


def test_the_whole_world_mesh_is_decimated_to_its_budget(exported):
    _, result = exported
    _, mesh = glb_vertices(result.paths("lod_mesh")[0])
    assert len(mesh.faces) <= 500


def test_a_new_export_replaces_the_folder(hills_world, tmp_path):
    out = tmp_path / "world"
    export_world(hills_world, out, engine="godot", tile_meshes=False, lod_triangles=None)
    assert (out / "godot").is_dir()
    export_world(hills_world, out, engine="none", tile_meshes=False, lod_triangles=None)
    assert not (out / "godot").exists() and (out / "mosaic" / "world_height.png").is_file()


def test_broken_saved_worlds_are_refused(exported, tmp_path):
    with pytest.raises(UserError, match="holds no saved world"):
        load_world(tmp_path)
    _, result = exported
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in result.out_dir.iterdir():
        if path.is_file():
            (broken / path.name).write_bytes(path.read_bytes())
    np.save(broken / "latents.npy", np.zeros((8, 3, 3), dtype=np.float32))
    with pytest.raises(UserError, match="latents are"):
        load_world(broken)


def test_bad_export_options_are_refused_before_writing(hills_world, tmp_path):
    with pytest.raises(UserError, match="unknown export format"):
        export_world(hills_world, tmp_path / "a", formats="fbx")
    with pytest.raises(UserError, match="unknown engine"):
        export_world(hills_world, tmp_path / "b", engine="cryengine")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
