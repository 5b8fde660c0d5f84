"""The frozen pre-trained encoders: models loaded offline from folders, batched, deterministic.

- ``audio``: any HuggingFace wav2vec 2.0-style model (``AutoModel`` with a feature extractor); hidden states of one
  layer (``layer``: index into ``hidden_states``, -1 = last) or the mean of all transformer layers (``layer:
  mean``); the audio is cut into ``chunk_s`` chunks, batched with padding and attention masks, and the frames
  (20 ms for 16 kHz models) are mean-pooled per ``pool_ms`` window (500 ms like the organisers' features).
- ``text``: BERT / multilingual BERT / ELECTRA (any ``AutoModel`` encoder with a tokenizer): one embedding per
  text, ``pooling: cls`` or ``mean`` (masked).
- ``video``: ViT on frames sampled at ``fps`` (optionally cropped to a face box); CLS or mean over patches;
  pooled per ``pool_ms``.
- ``translation``: FSMT German -> English.

:mod:`subspace.embed` cuts the embedded media into a task's samples.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from . import gpu, media
from .config.model import token_limit
from .errors import InputError, config_error
from .modelfolder import MODEL_HELP, check_model_folder, read_json_file
from .torchjob import deterministic

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------- loading
def device_for(encoder: dict) -> torch.device:
    try:
        return gpu.resolve_device(encoder.get("device", "auto"))
    except ValueError as exc:
        raise config_error(f"encoders.{encoder.get('name', '<encoder>')}.device", str(exc)) from None


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


# the key a job names when a feature's `layers` asks for a layer the model does not have
LAYERS_KEY = "tasks.<task>.features.<feature>.layers"


def select_layer(hidden_states, layer, encoder_name: str = "<encoder>", key: str | None = None) -> torch.Tensor:
    """One entry of ``hidden_states`` (0 = embeddings, -1 = last) or ``mean`` of layers 1..L."""
    if layer == "mean":
        return torch.stack(hidden_states[1:]).mean(0)
    try:
        return hidden_states[int(layer)]
    except IndexError:
        raise config_error(key or f"encoders.{encoder_name}.layer", f"layer {layer} does not exist: the model has "
                                                                    f"{len(hidden_states) - 1} layers") from None


# Model types whose ``last_hidden_state`` is ``hidden_states[-1]``: nothing comes after the last layer's entry, so
# layer -1 needs no ``output_hidden_states``. Not where a final norm or adapter follows the last layer: ViT & co.,
# and (with transformers 5) the stable-layer-norm audio models (wav2vec 2.0 large, HuBERT large), whose
# hidden_states[-1] is the last layer's output before the encoder's final layer norm.
LAST_HIDDEN_IS_LAST_LAYER = ("wav2vec2", "hubert", "wavlm", "data2vec-audio",
                             "bert", "electra", "roberta", "xlm-roberta", "distilbert", "deberta", "deberta-v2")


def wanted_layers(encoder: dict):
    """What an encoder job extracts: its `layer`, or a feature family's list of layers (`extract` spec's
    ``layers``: the encoder's layer first, then the feature's `layers`), side by side in one row."""
    return encoder.get("layers") or encoder.get("layer", -1)


def n_blocks(layer) -> int:
    return len(layer) if isinstance(layer, list) else 1


def encode(model, layer, **inputs) -> torch.Tensor:
    """The hidden states of ``layer`` (see :func:`select_layer`) for one batch, asking the model only for what they
    need: the last layer comes from ``last_hidden_state`` where that is the same tensor, else from a hook on the last
    encoder block, without keeping every layer. A list of layers: one forward pass, the layers concatenated along
    the hidden dimension (poolings over time or tokens act on each layer's block alike)."""
    cfg = model.config
    with torch.inference_mode():
        if isinstance(layer, list):
            hidden = model(**inputs, output_hidden_states=True).hidden_states
            return torch.cat([select_layer(hidden, k, key=LAYERS_KEY) for k in layer], -1)
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
    torch.set_num_threads(max(1, threads))
    deterministic()


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
        self.layer = wanted_layers(encoder)
        self.dim = cfg.hidden_size * n_blocks(self.layer)

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
            hidden = encode(self.model, self.layer, input_values=inputs["input_values"].to(self.device),
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
        self.layer = wanted_layers(encoder)
        self.dim = self.model.config.hidden_size * n_blocks(self.layer)

    def embed_texts(self, texts: list[str], batch_size: int) -> np.ndarray:
        """One row per text, in input order; batches of similar token counts (longest first)."""
        texts = list(texts)
        if not texts:  # (the tokenizer fails on an empty list)
            return np.zeros((0, self.dim), np.float32)
        max_length = token_limit("text", self.enc.get("max_length"))
        lengths = [len(ids) for ids in self.tok(texts, truncation=True, max_length=max_length)["input_ids"]]
        order = longest_first(lengths)
        out = np.zeros((len(texts), self.dim), np.float32)
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            batch = self.tok([texts[i] for i in idx], padding=True, truncation=True, max_length=max_length,
                             return_tensors="pt")
            batch = {k: v.to(self.device) for k, v in batch.items()}
            h = encode(self.model, self.layer, **batch).float()
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
        self.layer = wanted_layers(encoder)
        self.dim = cfg.hidden_size * n_blocks(self.layer)

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
            h = encode(self.model, self.layer, pixel_values=x).float()
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
        max_length = token_limit("translation", self.enc.get("max_length"))
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
