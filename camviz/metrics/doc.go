// Package metrics scores class activation maps: how well they localise objects
// and how faithfully they reflect what the model uses.
//
// Localization (pure Go, no GoMLX), after Choe et al., "Evaluating Weakly
// Supervised Object Localization Methods Right", CVPR 2020, and their reference
// code clovaai/wsolevaluation (evaluation.py):
//
//   - IoU, BoxesFromMap: boxes from a thresholded map, and their overlap with
//     ground truth.
//   - BoxAccumulator: MaxBoxAcc, MaxBoxAccV2, Top-1 Loc, accuracy-vs-τ curves.
//   - PxAPAccumulator: pixel average precision (PxAP) against masks.
//   - PointingGame: Zhang et al., "Top-down Neural Attention by Excitation
//     Backprop", ECCV 2016.
//
// Faithfulness (the model enters only through a ScoreFn callback, so the package
// never imports GoMLX):
//
//   - ConfidenceAccumulator: Average Drop and Increase in Confidence
//     (Chattopadhyay et al., Grad-CAM++, WACV 2018).
//   - CausalAccumulator: deletion and insertion AUC (Petsiuk et al., RISE, BMVC 2018).
//   - ROADAccumulator: Remove And Debias (Rong et al., ICML 2022) with the
//     noisy linear imputer, following pytorch-grad-cam's metrics.road.
//   - Spearman and SSIM between two maps, for sanity checks (Adebayo et al. 2018).
//
// # Conventions
//
// Maps are *heatmap.Map (row-major, Data[y*W+x]). Boxes are image.Rectangle,
// half-open: a box covers the pixels Min.X ≤ x < Max.X, Min.Y ≤ y < Max.Y, so its
// area is Dx·Dy. wsolevaluation writes boxes as inclusive corners (x0, y0, x1, y1)
// with area (x1−x0+1)(y1−y0+1); InclusiveBox converts, and IoU on the converted
// boxes equals theirs exactly.
//
// Images handed to a ScoreFn are float32 NHWC (channels last, GoMLX's default),
// in whatever normalisation the model expects.
//
// Units follow the papers: box accuracies, Top-1 Loc, PxAP, the pointing-game
// accuracy, Average Drop and Increase in Confidence are percentages (0–100);
// deletion/insertion AUCs and ROAD values are in the units of the ScoreFn;
// Spearman and SSIM are in [−1, 1].
//
// Every accumulator follows the same pattern, so that datasets stream:
// New…(config) → Update(batch) as often as needed → Summary(). An Update that
// returns an error has not changed the accumulator. A Summary never contains
// NaN: cases where a metric is undefined (no images, no positive pixels) are
// errors, and the remaining edge cases have documented values.
//
// Accumulators of disjoint parts of a dataset combine: Merge adds one into another
// (integer counts and histograms, and float sums kept exactly as ExactSum), so the
// merged Summary equals the single-pass one bit for bit whatever the split and the
// order; MarshalBinary and UnmarshalBinary move them between processes. This is what a
// data-parallel runner (the Beam pipeline in examples/beam) combines.
package metrics
