"""Config sections that say where a task's data and raw media are and how they are read: the transcript and
sample-table column names, the raw media's path templates, the encoders and their extraction jobs. Part of
the typed config (:mod:`.model`, which imports them)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Device, Positive, Section


class TranscriptColumns(Section):
    sentence: str = Field("sentence_id", description="rows with the same value are joined in time order "
                                                     "(absent column: every row is a sentence)")
    text: str = Field("word", description="the words or sentences")
    start: str = Field("start", description="start time")
    end: str = Field("end", description="end time")
    unit: Literal["ms", "s"] = Field("ms", description="unit of start and end")


class Media(Section):
    """Path templates of the raw media, with ``{subject}`` (Humor: the coach; Mimic: the video) and ``{video}``."""

    audio: str | None = Field(None, description="WAV/FLAC/OGG, or any file with an audio track (MP4, M4A, MP3)")
    video: str | None = Field(None, description="MP4/AVI/MOV/MKV/WebM, or a folder of `<ms>.jpg|png` frames")
    transcript: str | None = Field(None, description="CSV of timed words or sentences (`transcript_columns`)")
    fau: str | None = Field(None, description="py-feat Detector CSVs (the 20 action units)")
    face_boxes: str | None = Field(None, description="py-feat CSVs whose face boxes crop the video frames")
    fau_fps: float | None = Field(None, gt=0, description="frame rate of py-feat CSVs that have only a `frame` "
                                                          "column")
    transcript_columns: TranscriptColumns = Field(default_factory=TranscriptColumns,
                                                  description="the transcript CSV's column names")


class TableColumns(Section):
    """The sample table's column names (docs/your-corpus.md)."""

    id: str = Field("id", description="the sample's id, unique")
    file: str = Field("file", description="the media file, relative to the table (not needed by text-only or "
                                          "`precomputed` features)")
    start: str = Field("start", description="segment start in the file (absent column or empty cell: the whole "
                                            "file)")
    end: str = Field("end", description="segment end")
    group: str = Field("group", description="speaker, session or video: the unit of splitting, bootstrapping and "
                                            "leak checks")
    split: str = Field("split", description="the sample's split, named as in `splits`")
    text: str = Field("text", description="the text a `text` encoder embeds (one row per sample)")
    unit: Literal["s", "ms"] = Field("s", description="unit of start and end")


Partition = Literal["train", "devel", "test"]


class Encoder(Section):
    kind: Literal["audio", "text", "video", "fau", "translation"] = Field(
        description="`audio` (wav2vec 2.0, HuBERT, WavLM), `text` (BERT, mBERT, ELECTRA, RoBERTa...), "
                    "`video` (ViT family), `fau` (py-feat CSVs, no model), `translation` (FSMT)")
    model: str | None = Field(None, description="a HuggingFace model folder, loaded offline "
                                                "(`from_pretrained(folder, local_files_only=True)`)")
    layer: int | Literal["mean"] = Field(-1, description="index into `hidden_states` (0 = embeddings, -1 = last)"
                                                         " or `mean` of every transformer layer")
    pooling: Literal["cls", "mean"] = Field("cls", description="text/video: first token or mean over tokens")
    pool_ms: int = Field(500, ge=0, description="audio/video/FAU rows are mean-pooled per window of this many "
                                                "ms (0: every frame)")
    chunk_s: float = Field(10, gt=0, description="audio is cut into chunks of this length (a multiple of "
                                                 "`pool_ms`)")
    fps: float = Field(2, gt=0, description="video: frames sampled per second")
    batch_size: Positive = Field(8, description="inputs per forward pass")
    max_length: int | None = Field(None, ge=8, description="truncation in tokens (unset: 128 for text, 256 for "
                                                           "translation; at most the model's position embeddings)")
    max_new_tokens: Positive = Field(128, description="translation: tokens generated per sentence")
    num_beams: Positive = Field(1, description="translation: beam width")
    translate: str | None = Field(None, description="text: translate the transcripts with this `translation` "
                                                    "encoder first")
    device: Device = Field("auto", description="`auto` (CUDA when the job sees one), `cpu`, `cuda`, "
                                               "`cuda:<index>`")

    def token_limit(self) -> int:
        """The truncation the encoder applies (``max_length``, else the kind's default)."""
        return token_limit(self.kind, self.max_length)


def token_limit(kind: str, max_length: int | None) -> int:
    """Tokens a text or translation encoder keeps: ``max_length``, else 128 (text) or 256 (translation)."""
    return max_length or (256 if kind == "translation" else 128)


class Extraction(Section):
    shards: Positive = Field(1, description="extraction jobs per raw-media feature (videos round-robin), merged "
                                            "into one store")
    gpu: int = Field(1, ge=0, description="GPUs each extraction/translation job declares (`resources: gpu=`)")
    mem_mb: int = Field(8000, ge=100, description="memory of each extraction job")
    merge_mem_mb: int = Field(8000, ge=100, description="memory of each merge job")
    runtime: Positive = Field(240, description="minutes of each extraction job")
