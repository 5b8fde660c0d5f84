"""Tiny randomly initialised encoders, built offline, for the demo and the tests.

Each is a real HuggingFace model folder (``config.json``, ``model.safetensors``, tokenizer or
preprocessor files) that :mod:`subspace.embed` loads exactly like a downloaded checkpoint with
``from_pretrained(folder, local_files_only=True)``. Nothing is downloaded: the weights are random
(fixed seed) and the tokenizers are trained here with the ``tokenizers`` library.

Kinds: ``wav2vec2`` (audio), ``bert`` and ``electra`` (text, WordPiece), ``vit`` (images) and
``fsmt`` (German -> English translation, character-level BPE vocabularies).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

import os

from .config.demo import TINY_KINDS as KINDS  # noqa: E402
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# A little German and English so the WordPiece vocabulary has real sub-words.
CORPUS = [
    "der Trainer sagt die Mannschaft hat heute gut gespielt und wir sind sehr zufrieden",
    "das war ein schweres Spiel aber die Jungs haben gekämpft und am Ende gewonnen",
    "ich habe keine Ahnung was der Schiedsrichter da gesehen hat vielleicht braucht er eine Brille",
    "wir trainieren morgen früh und dann schauen wir mal wer spielen kann",
    "the coach says the team played well today and we are very happy",
    "that was a hard game but the lads fought and won in the end",
    "i have no idea what the referee saw maybe he needs glasses",
    "we train tomorrow morning and then we will see who can play",
    "haha ja genau das ist lustig yes exactly that is funny",
]


def _build_wordpiece(folder: Path, vocab_size: int) -> None:
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    from transformers import PreTrainedTokenizerFast

    # Not WordPieceTrainer: it breaks ties between equally frequent merges differently in every
    # process, so the same seed would give other token ids. The vocabulary is built instead from the
    # corpus in a fixed order: its whole words, and every character alone and as a continuation.
    normalise = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    words = sorted({w for line in CORPUS for w, _ in
                    pre_tokenizers.BertPreTokenizer().pre_tokenize_str(normalise.normalize_str(line))})
    chars = sorted({c for w in words for c in w})
    vocab = list(dict.fromkeys(list(SPECIAL) + chars + [f"##{c}" for c in chars] + words))[:vocab_size]
    tok = Tokenizer(WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = normalise
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=512)
    fast.save_pretrained(folder)


def _fsmt_vocab(folder: Path) -> None:
    """Character-level BPE vocabularies (no merges) in FSMTTokenizer's file format."""
    chars = sorted({c for line in CORPUS for c in line.lower() if c != " "} | set("abcdefghijklmnopqrstuvwxyz.,?!'"))
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for c in chars:
        for tok in (c, c + "</w>"):
            vocab.setdefault(tok, len(vocab))
    for name in ("vocab-src.json", "vocab-tgt.json"):
        (folder / name).write_text(json.dumps(vocab, ensure_ascii=False, indent=1))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "FSMTTokenizer", "langs": ["de", "en"], "do_lower_case": True,
        "model_max_length": 256}))
    return len(vocab)


def build(kind: str, out, seed: int = 0, **size) -> Path:
    """Write a tiny ``kind`` model folder to ``out`` (replaced as a whole when complete)."""
    from transformers import (BertConfig, BertModel, ElectraConfig, ElectraModel, FSMTConfig,
                              FSMTForConditionalGeneration, ViTConfig, ViTModel, Wav2Vec2Config,
                              Wav2Vec2FeatureExtractor, Wav2Vec2Model)

    if kind not in KINDS:
        raise ValueError(f"unknown tiny model kind '{kind}'; expected one of {KINDS}")
    out = Path(out)
    torch.manual_seed(seed)
    hidden = size.get("hidden", 32)
    layers = size.get("layers", 2)
    common = dict(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=size.get("heads", 2),
                  intermediate_size=2 * hidden)
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        if kind == "wav2vec2":
            sr = size.get("sampling_rate", 16000)
            # layer-norm feature encoder (like wav2vec2-large-robust): padding with an attention
            # mask leaves the valid frames unchanged, so batching does not change the embeddings
            cfg = Wav2Vec2Config(**common, conv_dim=(16, 16, 16), conv_kernel=tuple(size.get("conv_kernel", (10, 3, 3))),
                                 conv_stride=tuple(size.get("conv_stride", (5, 2, 2))),
                                 conv_bias=size.get("conv_bias", False), feat_extract_norm="layer",
                                 do_stable_layer_norm=True, num_conv_pos_embeddings=16,
                                 num_conv_pos_embedding_groups=2, vocab_size=8)
            Wav2Vec2Model(cfg).eval().save_pretrained(tmp)
            Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=sr, padding_value=0.0, do_normalize=True,
                                     return_attention_mask=True).save_pretrained(tmp)
        elif kind in ("bert", "electra"):
            _build_wordpiece(tmp, size.get("vocab_size", 300))
            from transformers import AutoTokenizer
            vocab = len(AutoTokenizer.from_pretrained(tmp))
            if kind == "bert":
                BertModel(BertConfig(vocab_size=vocab, max_position_embeddings=128, **common)).eval().save_pretrained(tmp)
            else:
                ElectraModel(ElectraConfig(vocab_size=vocab, embedding_size=hidden, max_position_embeddings=128,
                                           **common)).eval().save_pretrained(tmp)
        elif kind == "vit":
            image = size.get("image_size", 32)
            cfg = ViTConfig(**common, image_size=image, patch_size=size.get("patch_size", 8), num_channels=3)
            ViTModel(cfg).eval().save_pretrained(tmp)
            (tmp / "preprocessor_config.json").write_text(json.dumps({
                "image_processor_type": "ViTImageProcessor", "do_resize": True, "size": {"height": image, "width": image},
                "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
                "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}))
        else:  # fsmt
            n = _fsmt_vocab(tmp)
            cfg = FSMTConfig(langs=["de", "en"], src_vocab_size=n, tgt_vocab_size=n, d_model=hidden,
                             encoder_layers=layers, decoder_layers=layers, encoder_attention_heads=2,
                             decoder_attention_heads=2, encoder_ffn_dim=2 * hidden, decoder_ffn_dim=2 * hidden,
                             max_position_embeddings=256, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                             decoder_start_token_id=2, num_beams=1, max_length=64, tie_word_embeddings=False)
            FSMTForConditionalGeneration(cfg).eval().save_pretrained(tmp)
        (tmp / "TINY_RANDOM_MODEL.txt").write_text(
            f"A randomly initialised tiny '{kind}' model (seed {seed}) built by subspace.tiny_models for the demo "
            "and tests. Its embeddings carry no pre-trained knowledge.\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out
