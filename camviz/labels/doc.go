// Package labels names the classes of a classifier: the ImageNet-1k names bundled with
// camviz, label files (one name per line, a JSON list, or a JSON {"index": "name"}
// object), the choice between those and the names a model carries itself, and the lookup
// of a class by index or by name.
//
// It imports no GoMLX, so tools and notebooks can use it on their own.
package labels
