def test_world_builds(world):
    assert world.alice_case.number.startswith("CS-")
    assert world.alice_case.events.count() == 1
