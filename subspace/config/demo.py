"""The demo's config sections: the data the workflow generates itself, with a planted sub-space."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import FeatureName, Positive, Section, Seed, TaskName

TINY_KINDS = ("wav2vec2", "bert", "electra", "vit", "fsmt")


class DemoFeature(Section):
    dim: int = Field(ge=2, description="dimensions")
    planted: Positive = Field(description="dimensions that carry the label signal")
    signal: float = Field(gt=0, description="their mean shift per unit of label")
    shared: int = Field(0, ge=0, description="of the planted dimensions, how many every task planting a feature "
                                             "of this name and dim shares (evaluation.cross_task)")


class Coaches(Section):
    train: Positive = Field(description="training coaches")
    devel: Positive = Field(description="development coaches")
    test: int = Field(ge=0, description="test coaches")


class Videos(Section):
    train: int = Field(ge=2, description="training videos")
    devel: int = Field(ge=2, description="development videos")
    test: int = Field(ge=0, description="test videos")


class DemoRaw(Section):
    sampling_rate: int = Field(ge=100, description="audio sampling rate")
    video_fps: float = Field(gt=0, description="video frame rate")
    image_size: int = Field(ge=16, description="video frame size")
    signal: float = Field(gt=0, description="strength of each modality's cue")
    cue_rate: float = Field(1.0, gt=0, le=1, description="share of humorous windows in which each modality "
                                                         "(independently) shows its cue")


class DemoHumor(Section):
    """A Humor-layout demo: coaches' videos cut into 2 s labelled windows."""

    coaches: Coaches = Field(description="coaches per partition")
    videos_per_coach: Positive = Field(description="videos per coach")
    segments_per_video: Positive = Field(description="labelled 2 s windows per video")
    positive_rate: float = Field(gt=0, lt=1, description="share of humorous windows")
    features: dict[FeatureName, DemoFeature] = Field(min_length=1, description="CSV features to write")
    raw: DemoRaw | None = Field(None, description="also write raw media (WAV, MP4, transcripts, py-feat CSVs)")


class DemoMimic(Section):
    """A Mimic-layout demo: one sample per video, 3 targets."""

    videos: Videos = Field(description="videos per partition")
    features: dict[FeatureName, DemoFeature] = Field(min_length=1, description="CSV features to write")


class Speakers(Section):
    train: int = Field(ge=2, description="training speakers")
    devel: int = Field(ge=2, description="development speakers")
    test: int = Field(ge=0, description="test speakers")


class DemoVectors(Section):
    dim: int = Field(ge=2, description="dimensions")
    planted: Positive = Field(description="dimensions per class that shift with that class")
    signal: float = Field(gt=0, description="their shift in the samples of their class")
    frames: Positive = Field(1, description="rows per sample: 1 writes `<id>.npy` of shape [D], more [frames, D]")
    one_file: bool = Field(False, description="one `.npz` of every sample (`ids`, `features`) instead of a `.npy` "
                                              "per sample (frames 1 only)")


class DemoAudio(Section):
    sampling_rate: int = Field(ge=100, description="WAV sampling rate")
    utterances_per_file: Positive = Field(description="utterances per WAV: the rows cut it by start/end")
    seconds: float = Field(gt=0.1, description="length of each utterance")
    signal: float = Field(gt=0, description="loudness of each class's tone")


class DemoTable(Section):
    """A `table`-layout demo: utterances of speakers, one class each (`classes`), with arousal and valence ratings
    in [0, 1] that follow the class; class-specific planted dimensions (docs/demo.md)."""

    speakers: Speakers = Field(description="speakers (the groups) per split; the table names devel `dev`")
    utterances_per_speaker: Positive = Field(description="rows per speaker")
    classes: list[str] = Field(min_length=2, description="class names, written in the `emotion` column")
    features: dict[FeatureName, DemoVectors] = Field(default_factory=dict, description="pre-computed features "
                                                                                      "to write (`.npy`/`.npz`)")
    audio: DemoAudio | None = Field(None, description="also write WAVs in which each class has its own tone")
    text: bool = Field(False, description="also write a `text` column whose words follow the class")


class TinyModel(Section):
    """Sizes of a tiny random model (unset: subspace.tiny_models' defaults)."""

    hidden: int | None = Field(None, ge=4, description="hidden size")
    layers: Positive | None = Field(None, description="transformer layers")
    heads: Positive | None = Field(None, description="attention heads")
    sampling_rate: int | None = Field(None, ge=100, description="audio models: sampling rate")
    image_size: int | None = Field(None, ge=8, description="vision models: image size")
    patch_size: int | None = Field(None, ge=2, description="vision models: patch size")
    vocab_size: int | None = Field(None, ge=50, description="text models: vocabulary size")


class Demo(Section):
    """A generated demo dataset (the MuSe layouts, sample tables) with a planted sub-space (only in the demo's
    config)."""

    seed: Seed = Field(description="fixes everything the demo generates")
    root: str = Field("resources/demo", description="where the demo data and tiny models are written")
    tiny_models: dict[Literal[TINY_KINDS], TinyModel] = Field(
        default_factory=dict, description="tiny random encoders built offline into `<root>/models/<kind>`")
    humor: DemoHumor | None = Field(None, description="a Humor-layout demo task")
    mimic: DemoMimic | None = Field(None, description="a Mimic-layout demo task")
    tables: dict[TaskName, DemoTable] = Field(default_factory=dict, description="task -> a `table`-layout demo "
                                                                                "written to `<root>/<task>/`")


