"""GNN self-distillation on node classification: the teacher, FT/KD, born-again networks (BAN)
and LTD, which learns a distillation temperature per node.

Paper and official code: Guo, Yang, Shi, Wang, "Learning to Distill Graph Neural Networks",
WSDM 2023; github.com/BUPT-GAMMA/LTD (``distill_dgl.py``, ``spawn_worker.py``; its teachers are
trained by ``train_dgl.py`` with ``models/train.conf.yaml``). Baselines as LTD compares them:
knowledge distillation with one global temperature (Hinton, Vinyals and Dean, 2015; LTD's
"FT") and born-again networks (Furlanello et al., ICML 2018).

Methods (the student has the teacher's architecture, the cell's backbone):
- ``teacher``: the cell's backbone trained with the supervised recipe (Adam, cross-entropy on the
  training nodes, early stopping on validation accuracy): a stage shared by every student
  method and seed that uses it (:mod:`.teacher`), and a leaderboard row of its own;
- ``kd``: the student distils the teacher's softmax at one ``temperature`` plus ``lam`` times
  the hard labels (:mod:`.soft_targets`);
- ``ban``: temperature 1 and no hard labels;
- ``ltd``: a temperature per node from a small MLP (:mod:`.temperatures`), learned on the
  dataset's ``meta`` split (LTD's L2) through a differentiable SGD step of the student
  (:mod:`.ltd`, with :func:`torch.func.functional_call`); it needs LTD's protocol, the
  datasets' ``split: ltd`` (largest connected component, per class 20 training, 20 ``meta`` and
  10 validation nodes).

Every student takes one plain SGD step per epoch on the summed loss (:mod:`.student`), up to 600
epochs, patience 50 on validation accuracy, as the reference code does. Step sizes, ``lam`` and
the temperature scale left at null come from the reference's tuned values for the dataset and
backbone; the teacher's learning rate and weight decay from its per-backbone training
configuration (:mod:`.reference_settings`).

What differs from the reference:
- the teacher is trained here on the ``train`` split (L1) alone, with early stopping on
  ``valid`` (V), so that the ``meta`` labels (L2) are in no hard-label loss; the reference
  distils logits saved by its teacher script (``train_dgl.py``, CPF's code), which trains on L1
  and L2 together and selects on V: its teachers have seen twice the labels ours have;
- the teacher has the student's architecture (self-distillation); the reference's GraphSAGE
  teacher is larger (3 layers of 128) than its student (2 layers of 16, the grid's);
- backbones are PyG's layers with the harness's parameters (set in ``grids/distill.yaml`` to the
  reference's architectures), not the reference's DGL modules;
- FT/KD takes LTD's student step and ``lam`` (the appendix gives no step size for FT, and FT's
  own ``lam`` with LTD's step can diverge) with FT's temperature from the appendix's Table 5;
  nothing is searched here;
- the reference's step sizes were tuned for its own teachers and seed; with ours some are too
  small to train in 600 epochs (CiteSeer's GCN, GraphSAGE and SGC: a step 10 times larger
  does; ``leaderboards/distill/README.md``), so pass ``lr`` where they are.
"""

from harness import Component, Param, TaskType, hookimpl

#: one version for the teacher and its students: it keys the teacher stage they share
_VERSION = "2"
_NODE = frozenset({TaskType.NODE_CLASSIFICATION})

_TEACHER = (
    Param("epochs", "int", 600, "the teacher's maximum epochs (the reference's max_epoch)", minimum=1),
    Param("patience", "int", 50, "the teacher stops after this many epochs without a better validation accuracy", minimum=0),
    Param("lr", "float", None, "the teacher's Adam learning rate; null: the reference's value for the backbone (teacher_settings.csv)", minimum=0, exclusive_minimum=True, nullable=True),
    Param("weight_decay", "float", None, "the teacher's Adam weight decay; null: the reference's value for the backbone", minimum=0, nullable=True),
)
_TEACHER_OF_STUDENT = tuple(Param(f"teacher_{p.name}", p.type, p.default, p.doc, minimum=p.minimum, exclusive_minimum=p.exclusive_minimum, nullable=p.nullable) for p in _TEACHER) + (
    Param("teacher_seed", "int", -1, "the teacher's seed; -1: the cell's seed (student seed s distils the teacher of the teacher row's seed s)", minimum=-1),
)
_STUDENT = (
    Param("epochs", "int", 600, "the student's maximum epochs (one SGD step each)", minimum=1),
    Param("patience", "int", 50, "stop after this many epochs without reaching the best validation accuracy (ties reach it)", minimum=0),
    Param("lr", "float", None, "the student's SGD step size on the summed loss (the reference's my_lr); null: the reference's tuned value for the dataset and backbone (ltd_settings.csv)", minimum=0, exclusive_minimum=True, nullable=True),
) + _TEACHER_OF_STUDENT
_LAM = Param("lam", "float", None, "weight of the hard-label cross-entropy on the training nodes; null: the reference's tuned value", minimum=0, nullable=True)


def _method(name, factory, doc, params):
    return Component(kind="method", name=name, factory=f"harness_distillation.methods:{factory}", doc=doc, version=_VERSION, task_types=_NODE, params=params)


@hookimpl
def harness_methods():
    return [
        _method("teacher", "Teacher", "The distillation teacher: the backbone trained with the supervised recipe (a stage the students share), predicting itself.", _TEACHER),
        _method("kd", "KnowledgeDistillation", "Knowledge distillation with one global temperature and a hard-label weight (LTD's FT baseline).",
                _STUDENT + (_LAM,
                            Param("temperature", "float", None, "the one temperature of the teacher's softmax; null: FT's value in LTD's appendix (Table 5)", minimum=0, exclusive_minimum=True, nullable=True))),
        _method("ban", "BornAgain", "Born-again network: a student of the teacher's architecture on its soft labels at temperature 1, no hard labels.", _STUDENT),
        _method("ltd", "LearnToDistill", "LTD (Guo et al., WSDM 2023): per-node temperatures from an MLP learned on the meta split through a differentiable student step (needs split: ltd).",
                _STUDENT + (_LAM,
                            Param("temperature_lr", "float", None, "the temperature model's SGD step size (my_t_lr); null: the reference's tuned value", minimum=0, exclusive_minimum=True, nullable=True),
                            Param("scale", "float", None, "k in (sigmoid - 0.2) * k; null: the reference's tuned value (1, 2 or 3)", minimum=0, exclusive_minimum=True, nullable=True),
                            Param("warmup", "int", 20, "epochs before the temperature model starts learning", minimum=0))),
    ]
