"""The scorecard of a terrain model (`python -m mesa evaluate`, docs/evaluation.md).

Pure measurements over `Terrain`s and statistic tables, each in its own module:
elevation_statistics / image_statistics / spectrum (per tile), realism (distance and noise floor),
adherence (prompt effects on prompt_cases), coupling, diversity, memorisation, borders; and the
run around them: references (held-out sets), generation (the pipeline's public call, batched and
cached), scorecard (one run), sheets and report (the files).
"""

from mesa.evaluation.scorecard import ISSUE_PROMPTS, Plan, ScorecardRun, run_scorecard

__all__ = ["ISSUE_PROMPTS", "Plan", "ScorecardRun", "run_scorecard"]
