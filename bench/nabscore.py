"""In-process NAB scoring with NAB's own code (the scorer/ folder of a NAB
tree: nab.corpus, nab.labeler, nab.sweeper), for benchmarks that score many
result sets: the same optimise / score / normalise steps as NAB's run.py,
without copying the corpus for each run.

  s = NabScorer(nab_dir)                          # NAB's data and labels
  s = NabScorer(nab_dir, data=DIR, labels=FILE)   # any corpus in NAB's layout
  s.score(results_dir, files, column="anomaly_score")
      -> {"standard": .., "reward_low_FP_rate": .., "reward_low_FN_rate": ..}
  s.score(..., thresholds={"standard": 0.97, ...})  # fixed, not optimised

Normalisation as NAB's: 100 * (score - null) / (perfect - null), where the
null detector scores 0.5 everywhere and perfect is one true positive per
window of the files scored. A set of files without any window has no
normalised score (None).
"""
import json
import os
import sys

PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


def find_nab(arg=None, top=None):
    """The NAB tree to use: --nab, then $KML_NAB, then shared/nab beside the
    project (or beside its parent, for a git worktree). None when absent."""
    cands = [arg, os.environ.get("KML_NAB")]
    if top:
        cands += [os.path.join(top, "..", "shared", "nab"),
                  os.path.join(top, "..", "..", "shared", "nab")]
    for c in cands:
        if c and os.path.exists(os.path.join(c, "score")) and os.path.isdir(os.path.join(c, "data")):
            return os.path.abspath(c)
    return None


def ensure_pandas():
    """NAB's code needs pandas: re-run under Debian's python3 when this
    interpreter lacks it (as NAB's score wrapper does)."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
        sys.exit("needs python3 with pandas and simplejson "
                 "(apt-get install python3-pandas python3-simplejson)")


class NabScorer:
    def __init__(self, nab_dir, data=None, labels=None):
        scorer = os.path.join(nab_dir, "scorer")
        if scorer not in sys.path:
            sys.path.insert(0, scorer)
        from nab.corpus import Corpus
        from nab.labeler import CorpusLabel
        from nab.sweeper import Sweeper
        self._Sweeper = Sweeper
        data = data or os.path.join(nab_dir, "data")
        labels = labels or os.path.join(nab_dir, "labels", "combined_windows.json")
        self.corpus = Corpus(data)
        self.label = CorpusLabel(labels, self.corpus)
        with open(os.path.join(scorer, "config", "profiles.json")) as f:
            self.profiles = {k: v["CostMatrix"] for k, v in json.load(f).items()}
        self._templates = {}
        self._null = {}
        self.files = sorted(k for k in self.corpus.dataFiles if not k.endswith("_scores.csv"))

    def categories(self):
        return sorted({f.split("/")[0] for f in self.files})

    def windows(self, files):
        return sum(len(self.label.windows.get(f, [])) for f in files)

    def _rows(self, profile, f, scores):
        """NAB's sweep rows of file f: (timestamp, score, sweep score,
        window). The sweep scores do not depend on the anomaly scores, so
        they are computed once per profile and file."""
        key = (profile, f)
        if key not in self._templates:
            sw = self._sweeper(profile)
            ts = self.label.labels[f]["timestamp"]
            self._templates[key] = sw.calcSweepScore(ts, [0.0] * len(ts), self.label.windows[f], f)
        tpl = self._templates[key]
        if len(scores) != len(tpl):
            raise ValueError("%s: %d scores for %d rows" % (f, len(scores), len(tpl)))
        return [p._replace(anomalyScore=s) for p, s in zip(tpl, scores)]

    def _sweeper(self, profile):
        return self._Sweeper(probationPercent=0.15, costMatrix=self.profiles[profile])

    def _pick(self, profile, rows, threshold=None):
        """NAB's optimiser (best score over thresholds), or, for a given
        threshold, the score NAB's scoreDataSet gives: detections are the
        rows whose score is >= threshold."""
        by = self._sweeper(profile).calcScoreByThreshold(rows)
        if threshold is None:
            return max(by, key=lambda s: s.score)
        prev = None
        for s in by:  # thresholds descending from 1.1
            if s.threshold == threshold:
                return s
            if s.threshold < threshold:
                return prev if prev is not None else s
            prev = s
        return by[-1]

    def score(self, results, files=None, column="anomaly_score", thresholds=None, scores=None,
              profiles=PROFILES):
        """Normalised NAB scores of results/<file> (column) over files.
        scores: optional {file: list of scores} instead of reading CSVs.
        Returns {profile: score, profile + "_threshold": threshold} or None
        when the files hold no window."""
        import pandas
        files = files or self.files
        perfect_n = self.windows(files)
        if perfect_n == 0:
            return None
        out = {}
        cols = {}
        for f in files:
            if scores is not None:
                cols[f] = list(scores[f])
            else:
                cols[f] = list(pandas.read_csv(os.path.join(results, f), usecols=[column])[column].fillna(0))
        for p in profiles:
            rows = []
            for f in files:
                rows += self._rows(p, f, cols[f])
            best = self._pick(p, rows, None if thresholds is None else thresholds[p])
            nkey = (p, tuple(files))
            if nkey not in self._null:
                null_rows = []
                for f in files:
                    null_rows += self._rows(p, f, [0.5] * len(cols[f]))
                self._null[nkey] = self._pick(p, null_rows).score
            null = self._null[nkey]
            perfect = perfect_n * self.profiles[p]["tpWeight"]
            out[p] = 100.0 * (best.score - null) / (perfect - null)
            out[p + "_threshold"] = best.threshold
        return out
