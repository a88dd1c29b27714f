// Package evaluate scores CAM methods on a localization dataset: for a model, a set of
// examples (images with their class, box and mask), layers and methods, it produces a
// methods × metrics table, accumulated batch by batch, and it runs the cascading
// model-parameter randomization sanity check.
//
// # The table
//
// [Run] (or [New], [Evaluator.Update] per batch, [Evaluator.Summary]) explains every batch
// with one camviz Explainer (all layers × methods in one graph), takes the final maps
// (camviz.Result.Final: ReLU, per-image min-max, bilinear resize to the image, in [0, 1])
// and feeds them, per layer × method, to an [Accumulator] that holds camviz/metrics'
// accumulators:
//
//   - MaxBoxAcc, MaxBoxAccV2, Top-1 Loc (Choe et al., "Evaluating Weakly Supervised
//     Object Localization Methods Right", CVPR 2020): box accuracy
//     BoxAcc(τ, δ) = 100·|{i : IoU(box_i(τ), B_i) ≥ δ}|/N, maximised over the map
//     threshold τ; MaxBoxAcc at δ = 0.5 with the largest component's box, MaxBoxAccV2 the
//     mean over δ ∈ {0.3, 0.5, 0.7} with every component's box.
//   - PxAP: area under the pixel precision-recall curve against the masks (same paper).
//   - Pointing game (Zhang et al., ECCV 2016).
//   - Average Drop and Increase in Confidence (Chattopadhyay et al., Grad-CAM++, WACV
//     2018), deletion and insertion AUC (Petsiuk et al., RISE, BMVC 2018) and ROAD
//     (Rong et al., ICML 2022): these run the model on modified images through a
//     [ClassScoreFn]; [ModelScore] makes one that returns the softmax probability of the
//     explained class.
//
// Metric values follow the papers' units ([Metric] documents each) and are never NaN: the
// conventions for degenerate maps are documented on [Row].
//
// The [Report] prints as text, CSV, Markdown and an HTML table; [BoxAccuracyChart],
// [PrecisionRecallChart] and [CausalChart] draw its curves with gonum.org/v1/plot.
//
// # Sharded evaluation
//
// An [Evaluator] fed shards of a dataset with [Evaluator.UpdateAt] hands out its
// accumulated state as a [Tally] ([Evaluator.TakeTally]); tallies encode
// ([Tally.MarshalBinary], [DecodeTally]) and [Tally.Merge] exactly, so shards evaluated
// on many workers add up to the single-process [Report], byte for byte in its CSV, when
// the shards are the single-process batches. [WriteFiles] writes a report as CSV,
// Markdown, charts and an HTML page.
//
// # Sanity check
//
// [CascadingRandomization] follows Adebayo et al., "Sanity Checks for Saliency Maps"
// (NeurIPS 2018): it randomizes the weights of a clone of the model from the logits down,
// one block more at each step ([ModelBlocks], [RandomizeVariables]), and reports the
// Spearman rank correlation and SSIM of each method's maps with the trained model's.
package evaluate
