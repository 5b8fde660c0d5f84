"""The workflow's configuration as one typed model: every key's type, default and description.

The JSON schema Snakemake validates (``workflow/schemas/config.schema.json``) and the key tables of
``config/README.md`` are generated from these classes (``python -m subspace.config.docs --write``;
``tests/test_config.py`` fails when they are stale). Defaults are the MuSe 2023 baseline's (docs/sources.md);
the library's dataclasses (``DecoderConfig``, ``TrainConfig``, ...) take theirs from here.
Cross-field checks (paths exist, a feature names a known encoder, ...) are in :mod:`.checks`.
"""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, Field, model_validator

from .base import UNIQUE, Device, FeatureName, Member, Positive, Section, Seed, TaskName, Threshold, Unique, Variant
from .demo import Demo
from .layers import layer_family, layer_features, with_layer_features  # noqa: F401 (layer_features: for the checks)
# the data's sections, here too for the modules that import every section from this one
from .media import Encoder, Extraction, Media, Partition, TableColumns, TranscriptColumns, token_limit  # noqa: F401


# ----------------------------------------------------------------------------------------- features
class Feature(Section):
    """A feature's source and its decoder's hyper-parameters; defaults are the baseline's ``main.py``."""

    source: str = Field("csv", description="`csv` (the task's `feature_dir/<feature>/`), `precomputed` (vectors "
                                           "or sequences you extracted: `path`), or the name of an encoder in "
                                           "`encoders` (the feature is extracted from raw media)")
    path: str | None = Field(None, description="`precomputed`: a path template with `{id}` (one `.npy` per sample, "
                                               "shape [T, D] or [D]), or one `.npz`/`.h5` file holding a matrix "
                                               "and its ids (`matrix_key`, `ids_key`), or one `.npy` matrix whose "
                                               "rows are the table's rows in order")
    ids_key: str = Field("ids", description="`precomputed` `.npz`/`.h5`: the array of sample ids")
    matrix_key: str = Field("features", description="`precomputed` `.npz`/`.h5`: the (samples x D) matrix")
    decoder: Literal["gru", "mlp"] = Field("gru", description="`gru` (the baseline's) or `mlp` (projection -> "
                                                              "mean over time steps -> FC -> output, no GRU: for "
                                                              "one vector per sample)")
    shards: Positive | None = Field(None, description="raw-media features: extraction jobs (default "
                                                      "`extraction.shards`)")
    paper: Literal["w2v", "vit", "faus", "mbert", "bert-en", "electra"] | None = Field(
        None, description="the paper's feature this one reproduces: its reported numbers go beside the run's "
                          "(`tables/paper_vs_run`)")
    layers: Annotated[list[Annotated[int, Field(ge=0)]], Unique] | None = Field(
        None, json_schema_extra=UNIQUE, description="raw-media features: more hidden-state indices of the encoder "
                                                    "(0 = embeddings, 1..L the transformer layers), each its own "
                                                    "feature `<feature>-L<k>` with this one's decoder; one "
                                                    "extraction pass gives them all, `tables/layers_<feature>` "
                                                    "compares them (docs/evaluation.md)")
    concat_layers: bool = Field(False, description="with `layers`: also the feature `<feature>-Lcat`, this layer "
                                                   "and every listed one side by side (dimensions "
                                                   "`<feature>-Lcat_L<k>_<i>`), so IG picks dimensions across "
                                                   "layers")
    normalise: bool = Field(False, description="StandardScaler on every feature row of the training videos "
                                               "(`main.py --normalize`); an empty window stays a zero vector")
    model_dim: Positive = Field(64, description="width of the input projection and the GRU (`--model_dim`)")
    rnn_layers: Positive = Field(1, description="GRU layers (`--rnn_n_layers`)")
    bidirectional: bool = Field(False, description="bidirectional GRU (`--rnn_bi`)")
    rnn_dropout: float = Field(0.2, ge=0, le=1, description="dropout between GRU layers (`--rnn_dropout`)")
    fc_dropout: float = Field(0.5, ge=0, le=1, description="dropout after the first feed-forward layer "
                                                            "(`--linear_dropout`)")
    lr: float = Field(0.0001, gt=0, description="Adam learning rate (`--lr`)")
    batch_size: Positive | None = Field(None, description="this feature's training batch (unset: "
                                                          "`training.batch_size`): a small corpus in a config with "
                                                          "a large one needs its own")
    early_stopping_patience: Positive = Field(15, description="epochs without a better devel score before "
                                                              "stopping (`--early_stopping_patience`)")
    reduce_lr_patience: Positive = Field(5, description="epochs without a better devel score before the "
                                                        "learning rate halves (`--reduce_lr_patience`)")


PRECOMPUTED = "precomputed"
DECODER_KEYS = ("decoder", "model_dim", "rnn_layers", "bidirectional", "rnn_dropout", "fc_dropout")
TRAIN_KEYS = ("lr", "normalise", "early_stopping_patience", "reduce_lr_patience")


# the metrics a task may report and early-stop on, per target kind (the first is the kind's default)
METRICS = {"binary": ("auc", "uar", "macro_f1", "accuracy"), "multiclass": ("uar", "macro_f1", "accuracy"),
           "regression": ("pearson", "ccc")}
LabelValue = Union[str, int]  # a label as written in the label files: text or a whole number


class Task(Section):
    type: Literal["binary", "multiclass", "regression"] = Field(
        description="`binary` (one or more 0/1 targets: sigmoid, BCE), `multiclass` (one target, one of "
                    "`classes`: softmax, cross-entropy) or `regression` (one or more numbers: MSE)")
    layout: Literal["humor", "mimic", "table"] = Field(description="`table` (one row per sample: docs/your-corpus.md) "
                                                                   "or a MuSe 2023 reader: `humor`, `mimic`")
    targets: Annotated[list[str], Unique] = Field(min_length=1, json_schema_extra=UNIQUE,
                                                   description="label names; Mimic and table: the label columns, "
                                                               "read by name")
    metric: Literal["auc", "uar", "macro_f1", "accuracy", "pearson", "ccc"] | None = Field(
        None, description="what the tables report and early stopping and the best seed use (unset: `auc` for "
                          "binary, `uar` for multiclass, `pearson` for regression); binary: `auc`, `uar`, "
                          "`macro_f1`, `accuracy`; multiclass: `uar` (balanced accuracy), `macro_f1`, `accuracy`; "
                          "regression: `pearson` (mean r over the targets, the paper's) or `ccc`")
    classes: list[LabelValue] | None = Field(None, description="multiclass: the class labels in the order of the "
                                                                "outputs, e.g. `[neu, hap, sad, ang]`")
    class_map: dict[LabelValue, LabelValue] | None = Field(
        None, description="multiclass: label values read as another class, e.g. `{exc: hap}`")
    class_weights: Literal["balanced"] | dict[LabelValue, float] | None = Field(
        None, description="multiclass: weights of the cross-entropy per class, or `balanced` (inverse class "
                          "frequency in train, scikit-learn's); unset: every sample counts the same")
    positive: LabelValue | None = Field(None, description="binary: the label value that is positive (1); the one "
                                                          "other value is 0 (unset: labels must be 0/1)")
    table: str | None = Field(None, description="table: the sample table (CSV, or TSV when it ends in .tsv), one "
                                                "row per sample")
    table_columns: TableColumns = Field(default_factory=TableColumns, description="table: its column names")
    splits: dict[Partition, str] = Field(default_factory=dict, description="table: partition -> the name your "
                                                                           "`split` column gives it, e.g. `{devel: "
                                                                           "dev}` (a partition not listed: its own "
                                                                           "name)")
    allow_group_leak: bool = Field(False, description="table: let a group have samples in two splits (otherwise "
                                                      "an error: speaker or session leak)")
    partition_file: str | None = Field(None, description="humor/mimic: CSV, sample (coach or video) id first, "
                                                         "partition last")
    label_dir: str | None = Field(None, description="Humor: the `label_segments` folder")
    label_file: str | None = Field(None, description="Mimic: `labels.csv`")
    label_column: str = Field("humor", description="Humor: the label files' column that holds the 0/1 label")
    feature_dir: str | None = Field(None, description="the organisers' feature CSVs (needed only by features "
                                                      "without an encoder `source`)")
    media: Media = Field(default_factory=Media, description="raw media for features with an encoder `source`")
    features: dict[FeatureName, Feature] = Field(min_length=1, description="feature name -> its decoder")

    @model_validator(mode="after")
    def _layer_features(self) -> "Task":
        """Each feature's `layers` as features of their own, after the feature (:mod:`.layers`)."""
        self.features = with_layer_features(self.features)
        return self

    def layer_family(self, feature: str) -> tuple[str, int, int]:
        """(family, block, blocks) of a feature (:func:`.layers.layer_family`)."""
        return layer_family(self.features, feature)

    def split_names(self) -> dict[str, str]:
        """partition -> its name in the table's split column."""
        return {p: self.splits.get(p, p) for p in ("train", "devel", "test")}

    def csv_features(self) -> list[str]:
        return [f for f, hp in self.features.items() if hp.source == "csv"]

    def precomputed_features(self) -> list[str]:
        return [f for f, hp in self.features.items() if hp.source == PRECOMPUTED]

    def store_features(self) -> list[str]:
        """The features the `store` job reads (from CSVs or pre-computed files); the others are extracted."""
        return [f for f, hp in self.features.items() if hp.source in ("csv", PRECOMPUTED)]

    def raw_features(self) -> list[str]:
        return [f for f, hp in self.features.items() if hp.source not in ("csv", PRECOMPUTED)]


# ----------------------------------------------------------------------------------------- decoders
class Training(Section):
    """The baseline's training (``main.py``, ``train.py``)."""

    batch_size: Positive = Field(256, description="training batch (`--batch_size`); devel/test predictions in "
                                                  "batches of twice that")
    max_epochs: Positive = Field(100, description="`--epochs`")
    d_fc_out: Positive = Field(64, description="width of the first feed-forward layer (`--d_fc_out`)")
    lr_factor: float = Field(0.5, gt=0, lt=1, description="`ReduceLROnPlateau` factor, stepped on "
                                                          "1 − devel score")
    min_lr: float = Field(0.00001, ge=0, description="`ReduceLROnPlateau` min_lr")
    activation: Literal["auto", "sigmoid", "none"] = Field(
        "auto", description="the final activation of binary and regression decoders: `auto` is a sigmoid where "
                            "the train and devel targets lie in [0, 1] (the baseline's, `config.py "
                            "ACTIVATION_FUNCTIONS`), else none on targets standardised on train and mapped back; "
                            "`sigmoid` or `none` force it. Multiclass decoders end in a softmax")
    gpu: int = Field(0, ge=0, description="GPUs each decoder job (train, attribute, rank, topk_train, "
                                          "seed_attributions, cross_train) declares; 0 keeps them on the CPU")
    device: Device = Field("auto", description="where decoder jobs with `gpu` > 0 compute: `auto` (CUDA when the "
                                               "job sees one), `cpu`, `cuda`, `cuda:<index>` (of the devices "
                                               "the job sees)")


class Attribution(Section):
    n_steps: Positive = Field(50, description="integration steps (the paper's 50)")
    method: Literal["riemann_right", "riemann_left", "riemann_middle", "riemann_trapezoid", "gausslegendre"] = Field(
        "gausslegendre", description="the integral: `riemann_right` is the paper's formula (benchmarks/README.md)")
    internal_batch_size: Positive = Field(2048, description="rows per forward pass (bounds memory)")
    batch_size: Positive = Field(128, description="sequences per attribution call")
    aggregate: Literal["abs", "signed"] = Field("abs", description="mean of |IG| (default) or of the signed IG "
                                                                   "over every valid time step")
    interpolate_in: Literal["projection", "input"] = Field(
        "projection", description="integrate after the bias-free input projection (exact, ~2x faster) or on "
                                  "the inputs (plain captum)")
    output: Literal["activated", "logit"] = Field("activated", description="what IG explains: the output after "
                                                                           "the final sigmoid or softmax (the "
                                                                           "paper's) or before it")
    multiclass: Literal["labelled", "mean"] = Field(
        "labelled", description="multiclass: IG of each sample's labelled class, or the mean over every class's "
                                "IG; per-class statistics are stored either way")


class Selection(Section):
    thresholds: Annotated[list[Threshold], Unique] = Field(["mean", "p75"], min_length=1, json_schema_extra=UNIQUE,
                                        description="`mean` (the paper's) and/or percentiles `pNN`, e.g. `p75`")
    ranking: Literal["ig", "auto"] = Field(
        "ig", description="`ig`: the dimensions whose IG is above the threshold (the paper's); `auto`: for the "
                          "features of the top-k sweep (`evaluation.features`), as many dimensions ranked first by "
                          "the ranking whose top-k decoders score best on devel in the sweep (other features: ig)")


class Fusion(Section):
    """Late fusion of the per-modality decoders' predictions (best-devel seed of each)."""

    methods: Annotated[list[Literal["mean", "weighted"]], Unique] = Field(["mean"], min_length=1,
                                                                          json_schema_extra=UNIQUE, description=(
        "`mean` of the members' outputs, and/or `weighted` (fitted on devel: its devel score is in-sample)"))
    combinations: dict[TaskName, list[Annotated[list[Member], Unique, Field(min_length=2, json_schema_extra=UNIQUE)]]] = Field(
        default_factory=dict, description="per task, lists of members `feature[:variant]` (variant `full` or a "
                                          "threshold), e.g. `[[w2v, bert], [\"w2v:mean\", bert]]`")


class FinetuneDemo(Section):
    seconds: float = Field(gt=0.1, description="length of each demo clip")
    sampling_rate: int = Field(ge=1000, description="the clips' and the tiny model's sampling rate")
    hidden_size: int = Field(ge=2, multiple_of=2, description="the tiny wav2vec 2.0's hidden size")


class Finetune(Section):
    """wav2vec 2.0 fine-tuned with the batch-level Pearson loss (Mimic layout)."""

    model: str = Field(description="local wav2vec 2.0 folder (`save_pretrained` layout)")
    audio_dir: str = Field(description="one `<video id>.wav` per video")
    variants: Annotated[list[Variant], Unique] = Field(["full"], min_length=1, json_schema_extra=UNIQUE,
                                                       description="`full` and/or thresholds: the head "
                                                                        "sees only the kept dimensions")
    selection_feature: str | None = Field(None, description="the feature whose selection picks the kept hidden "
                                                            "dimensions")
    seeds: Annotated[list[Seed], Unique] | None = Field(None, min_length=1, json_schema_extra=UNIQUE,
                                                        description="default: the first of `seeds`")
    batch_size: int = Field(32, ge=2, description="clips per batch (the Pearson loss is per batch)")
    max_epochs: Positive = Field(5, description="epochs")
    lr: float = Field(0.0001, gt=0, description="AdamW learning rate")
    head_dim: Positive = Field(64, description="width of the head's hidden layer")
    freeze_feature_encoder: bool = Field(True, description="train only the transformer and the head")
    max_seconds: float = Field(10, gt=0, description="audio is cut after this")
    device: Device = Field("auto", description="`auto`: CUDA when the job sees one, else the CPU")
    gpu: int = Field(1, ge=0, description="GPUs the job declares")
    mem_mb: Positive = Field(8000, description="memory of the job")
    runtime: Positive = Field(240, description="minutes of the job")
    demo: FinetuneDemo | None = Field(None, description="write demo audio and a tiny random wav2vec 2.0 (demo "
                                                        "only)")


K = Union[Annotated[int, Field(ge=1, description="number of dimensions")],
          Annotated[float, Field(gt=0, lt=1, description="fraction of the dimensions")]]
RANKINGS = ("ig", "random", "saliency", "input_x_gradient", "mean_score", "std_score", "mutual_info", "l1_linear")


class Evaluation(Section):
    """Beyond the paper (docs/evaluation.md): the top-k sweep (with removal and a control task), selection
    stability, cross-task sub-spaces."""

    features: dict[TaskName, list[FeatureName]] = Field(description="per task, the features whose top-k sweep "
                                                                    "runs")
    k: Annotated[list[K], Unique] = Field(min_length=1, json_schema_extra=UNIQUE,
                                          description="fractions in (0, 1) of a feature's dimensions or whole counts")
    methods: Annotated[list[Literal[RANKINGS]], Unique] = Field(list(RANKINGS), min_length=1, json_schema_extra=UNIQUE,
                                                               description="rankings to compare")
    seeds: Positive = Field(1, description="the first N of `seeds` train each (method, k)")
    random_seed: Seed = Field(0, description="seed of the random controls and of mutual_info / l1_linear")
    batch_size: Positive = Field(128, description="sequences per Saliency/InputXGradient call")
    bootstrap_unit: Literal["group", "subject", "sample"] = Field(
        "group", description="what the paired bootstrap intervals resample: `group` (Humor: a video; Mimic: a "
                             "video = a sample), `subject` (Humor: a coach), or `sample` (rows, as if independent)")
    stability: bool | dict[TaskName, list[FeatureName]] = Field(
        True, description="pairwise Jaccard of every seed's selection: true (every feature), false, or "
                          "{task: [features]}")
    removal: bool | dict[TaskName, list[FeatureName]] = Field(
        False, description="the sweep also retrains on every dimension but each ranking's top k (ROAR/KAR style: "
                           "a ranking good only because k is large shows it): true (every swept feature), false, "
                           "or {task: [swept features]}")
    control: bool | dict[TaskName, list[FeatureName]] = Field(
        False, description="a control task (Hewitt & Liang 2019): train and devel labels permuted within groups, "
                           "the same decoder, IG, rankings and top-k retraining; the sweep reports selectivity "
                           "(task - control): true (every swept feature), false, or {task: [swept features]}")
    cross_task: list[Annotated[list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*:[A-Za-z0-9_-]+$")]],
                               Field(min_length=2, max_length=2)]] = Field(
        default_factory=list, description="pairs of `task:feature` of the same encoder in two tasks")


class Checks(Section):
    """Input checks whose limits a user may need to move (docs/bad-input.md)."""

    max_empty_share: float = Field(0.05, ge=0, le=1, description="largest share of empty or all-zero samples per "
                                                                 "video and per partition (at least one per video) "
                                                                 "before a store is refused")
    max_robust_deviation: float = Field(1e6, gt=0, description="a feature value further than this many robust "
                                                               "spreads (median absolute deviations) from its "
                                                               "dimension's median is refused")


# ----------------------------------------------------------------------------------------------- root
class Config(Section):
    """subspace workflow configuration (config/README.md)."""

    results: str = Field("results", description="folder for every output")
    seeds: Annotated[list[Seed], Unique] = Field([101, 102, 103, 104, 105], min_length=1, json_schema_extra=UNIQUE,
                              description="one decoder per seed (`main.py --seed 101 --n_seeds 5`)")
    threads_per_job: Positive = Field(1, description="torch threads of each decoder/extraction job")
    demo: Demo | None = Field(None, description="generate a demo dataset (only in the demo's config)")
    tasks: dict[TaskName, Task] = Field(min_length=1, description="name (lower case, digits, `_`) -> the task's data "
                                                                  "and features")
    encoders: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")], Encoder] = Field(
        default_factory=dict, description="name -> encoder for features made from raw media")
    extraction: Extraction = Field(default_factory=Extraction, description="raw-media extraction jobs")
    training: Training = Field(default_factory=Training, description="decoder training (every feature)")
    attribution: Attribution = Field(default_factory=Attribution, description="Integrated Gradients")
    selection: Selection = Field(default_factory=Selection, description="which dimensions are kept")
    fusion: Fusion = Field(default_factory=Fusion, description="late fusion")
    fau_features: dict[TaskName, list[FeatureName]] = Field(
        default_factory=dict, description="per task, the features whose dimensions are facial action units "
                                          "(the FAU-by-muscle figure)")
    finetune: dict[Literal["mimic"], Finetune] = Field(default_factory=dict,
                                                       description="wav2vec 2.0 fine-tuning (Mimic layout)")
    evaluation: Evaluation | None = Field(None, description="beyond the paper; absent: no sweep, stability or "
                                                            "cross-task tables")
    checks: Checks = Field(default_factory=Checks, description="limits of the input checks")

    def finetune_seeds(self, task: str) -> list[int]:
        """The seeds a task's fine-tuning runs: its own, else the first of `seeds`."""
        return self.finetune[task].seeds or self.seeds[:1]


def default(model: type[BaseModel], field: str):
    """A key's default, for the library's dataclasses (their defaults come from here and nowhere else)."""
    return model.model_fields[field].get_default(call_default_factory=True)
