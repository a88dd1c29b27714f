package nb

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
)

// explorerSeq numbers the explorers rendered by this process, so that two renderings of
// the same content get different DOM ids.
var explorerSeq atomic.Int64

// explorerData is what the inline script receives, as JSON.
type explorerData struct {
	ID       string   `json:"id"`
	Dims     []int    `json:"dims"`     // [examples, layers, methods, classes]
	Pics     []string `json:"pics"`     // data: URLs of the distinct PNGs
	Cells    []int    `json:"cells"`    // view index → pics index, -1 when missing
	Over     []bool   `json:"over"`     // view index → the picture is a map to blend over the input
	Alpha    float64  `json:"alpha"`    // initial opacity of the maps
	Captions []string `json:"captions"` // view index → caption
	Inputs   []int    `json:"inputs"`   // example → pics index, -1 when none
	Values   []any    `json:"values"`   // the axes' values, for the label texts
}

// HTML returns the explorer as one self-contained HTML fragment: a <div> with its own
// <style>, the controls, the first view's pictures and an inline <script> holding every
// picture as a data: URL. The view index of (example e, layer l, method m, class c) is
// ((e·L + l)·M + m)·C + c. The root's id (also its data-camviz-explorer attribute) is
// "camviz-explorer-" + 12 hex digits of the content's SHA-256 + "-" + a per-process
// sequence number, so explorers in one notebook do not collide; the script looks up its
// elements inside its own root only. The root's data-view attribute holds the shown
// view's indices "e,l,m,c" (for scripts and tests).
//
// Errors: no views added, or more than MaxBytes of PNG.
func (e *Explorer) HTML() (string, error) {
	if len(e.cells) == 0 {
		return "", fmt.Errorf("nb.Explorer.HTML: the explorer %q has no pictures; add them with Add or AddResult", e.Title)
	}
	limit, total := e.MaxBytes, 0
	if limit <= 0 {
		limit = DefaultExplorerMaxBytes
	}
	for _, p := range e.pics {
		total += len(p)
	}
	if total > limit {
		return "", fmt.Errorf("nb.Explorer.HTML: the explorer %q holds %d distinct pictures of %d bytes in all, over the limit of %d "+
			"(Explorer.MaxBytes): store smaller pictures (the browser scales them to Explorer.Size) or fewer views, or raise MaxBytes",
			e.Title, len(e.pics), total, limit)
	}
	d := e.data()
	js, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("nb.Explorer.HTML: %w", err)
	}
	var b strings.Builder
	e.writeHTML(&b, d, string(js))
	return b.String(), nil
}

// data lays the explorer out for the script.
func (e *Explorer) data() *explorerData {
	d := &explorerData{Inputs: []int{}}
	for i := range e.axes {
		d.Dims = append(d.Dims, max(len(e.axes[i].values), 1))
		d.Values = append(d.Values, append([]string{}, e.axes[i].values...))
	}
	n := d.Dims[0] * d.Dims[1] * d.Dims[2] * d.Dims[3]
	d.Cells, d.Captions, d.Over = make([]int, n), make([]string, n), make([]bool, n)
	d.Alpha = e.Alpha
	if d.Alpha <= 0 || d.Alpha > 1 {
		d.Alpha = DefaultExplorerAlpha
	}
	for i := range d.Cells {
		d.Cells[i] = -1
	}
	hash := sha256.New()
	for v, c := range e.cells {
		i := e.viewIndex(v)
		d.Cells[i], d.Over[i], d.Captions[i] = c.pic, c.overlay, e.captions[v]
	}
	for _, ex := range e.axes[axisExample].values {
		p, ok := e.inputs[ex]
		if !ok {
			p = -1
		}
		d.Inputs = append(d.Inputs, p)
	}
	for _, p := range e.pics {
		d.Pics = append(d.Pics, "data:image/png;base64,"+base64.StdEncoding.EncodeToString(p))
		hash.Write(p)
	}
	fmt.Fprintf(hash, "%q %v %v %v %d %v %v", e.Title, d.Dims, d.Values, d.Captions, e.Size, e.Smooth, d.Alpha)
	for i, c := range d.Cells {
		fmt.Fprint(hash, c, d.Over[i], ",")
	}
	d.ID = fmt.Sprintf("camviz-explorer-%s-%d", hex.EncodeToString(hash.Sum(nil))[:12], explorerSeq.Add(1))
	return d
}

func (e *Explorer) viewIndex(v View) int {
	i := 0
	for a, val := range v.values() {
		i = i*max(len(e.axes[a].values), 1) + e.axes[a].index[val]
	}
	return i
}

// firstView returns the view index shown first: the first view that has a picture, in
// index order (so the first example, layer, method and class when they exist).
func firstView(d *explorerData) (idx int, at [numAxes]int) {
	for i, p := range d.Cells {
		if p >= 0 {
			idx = i
			break
		}
	}
	rest := idx
	for a := numAxes - 1; a >= 0; a-- {
		at[a] = rest % d.Dims[a]
		rest /= d.Dims[a]
	}
	return idx, at
}

func (e *Explorer) writeHTML(b *strings.Builder, d *explorerData, js string) {
	size := e.Size
	if size <= 0 {
		size = DefaultExplorerSize
	}
	rendering := "pixelated"
	if e.Smooth {
		rendering = "auto"
	}
	id := d.ID
	first, at := firstView(d)
	fmt.Fprintf(b, `<div class="camviz-explorer" id="%s" data-camviz-explorer="%s" data-view="%d,%d,%d,%d">`, id, id, at[0], at[1], at[2], at[3])
	fmt.Fprintf(b, `<style>
#%[1]s{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;font-size:13px;color:#222;background:#fff;padding:8px;border:1px solid #ddd;border-radius:6px;display:inline-block;max-width:100%%;margin:4px 0;box-sizing:border-box}
#%[1]s .cvx-title{font-weight:600;font-size:14px;margin-bottom:6px}
#%[1]s .cvx-row{display:flex;flex-wrap:wrap;align-items:center;gap:4px;margin:3px 0}
#%[1]s .cvx-name{width:52px;color:#666}
#%[1]s button{font:inherit;padding:2px 8px;border:1px solid #bbb;border-radius:4px;background:#f6f6f6;color:#222;cursor:pointer}
#%[1]s button[aria-pressed="true"]{background:#2b6cb0;border-color:#2b6cb0;color:#fff}
#%[1]s button img{display:block;width:32px;height:32px;image-rendering:%[2]s}
#%[1]s input[type=range]{width:%[3]dpx}
#%[1]s .cvx-value{font-family:ui-monospace,monospace;margin-left:6px}
#%[1]s .cvx-view{display:flex;gap:10px;margin-top:8px;align-items:flex-start}
#%[1]s figure{margin:0}
#%[1]s figure img{width:%[3]dpx;image-rendering:%[2]s;display:block}
#%[1]s .cvx-stack{position:relative;width:%[3]dpx}
#%[1]s .cvx-under{display:none}
#%[1]s .cvx-over .cvx-under{display:block}
#%[1]s .cvx-over .cvx-map{position:absolute;left:0;top:0;height:100%%}
#%[1]s figcaption{color:#444;margin-top:3px;max-width:%[3]dpx;overflow-wrap:anywhere}
#%[1]s .cvx-missing{width:%[3]dpx;height:%[3]dpx;display:none;align-items:center;justify-content:center;background:#f3f3f3;color:#888;text-align:center}
</style>`, id, rendering, size)
	if e.Title != "" {
		fmt.Fprintf(b, `<div class="cvx-title">%s</div>`, html.EscapeString(e.Title))
	}
	for a := 0; a < numAxes; a++ {
		vals := e.axes[a].values
		if len(vals) < 2 {
			continue
		}
		fmt.Fprintf(b, `<div class="cvx-row" data-axis="%d"><span class="cvx-name">%s</span>`, a, axisNames[a])
		if a == axisLayer {
			fmt.Fprintf(b, `<input type="range" min="0" max="%d" step="1" value="%d" aria-label="layer"><span class="cvx-value">%s</span>`,
				len(vals)-1, at[a], html.EscapeString(label(vals[at[a]])))
		} else {
			for i, v := range vals {
				thumb := ""
				if a == axisExample && d.Inputs[i] >= 0 {
					thumb = fmt.Sprintf(`<img alt="" data-pic="%d">`, d.Inputs[i])
				}
				fmt.Fprintf(b, `<button type="button" data-i="%d" aria-pressed="%t" title="%s">%s%s</button>`,
					i, i == at[a], html.EscapeString(label(v)), thumb, html.EscapeString(label(v)))
			}
		}
		b.WriteString(`</div>`)
	}
	if hasOverlay(d) {
		pct := int(math.Round(100 * d.Alpha))
		fmt.Fprintf(b, `<div class="cvx-row"><span class="cvx-name">opacity</span><input class="cvx-alpha" type="range" min="0" max="100" step="1" value="%d" aria-label="map opacity"><span class="cvx-value cvx-alpha-value">%d%%</span></div>`, pct, pct)
	}
	b.WriteString(`<div class="cvx-view">`)
	input := -1
	if in := d.Inputs; len(in) > 0 {
		input = in[at[axisExample]]
	}
	if input >= 0 {
		fmt.Fprintf(b, `<figure><img class="cvx-input" alt="input" src="%s"><figcaption>input</figcaption></figure>`, d.Pics[input])
	}
	over, under, opacity := "", "", "1"
	if d.Over[first] && input >= 0 {
		over, under, opacity = " cvx-over", fmt.Sprintf(` src="%s"`, d.Pics[input]), strconv.FormatFloat(d.Alpha, 'g', -1, 64)
	}
	fmt.Fprintf(b, `<figure><div class="cvx-stack%s"><img class="cvx-under" alt=""%s><img class="cvx-map" alt="map" src="%s" style="opacity:%s"></div>`+
		`<div class="cvx-missing">not computed</div><figcaption class="cvx-caption">%s</figcaption></figure>`,
		over, under, d.Pics[d.Cells[first]], opacity, html.EscapeString(d.Captions[first]))
	b.WriteString(`</div><script>(function(){var D=`)
	b.WriteString(js)
	b.WriteString(`;` + explorerScript + `})();</script></div>`)
}

// hasOverlay reports whether some view is a map to blend over an input.
func hasOverlay(d *explorerData) bool {
	inputs := false
	for _, p := range d.Inputs {
		inputs = inputs || p >= 0
	}
	for _, o := range d.Over {
		if o && inputs {
			return true
		}
	}
	return false
}

// label shows an empty axis value as "–".
func label(v string) string {
	if v == "" {
		return "–"
	}
	return v
}

// explorerScript wires one explorer's controls; D is its explorerData. It initialises
// the root that holds the running script (document.currentScript, as in JupyterLab and
// exported HTML) and every other root with D's id not yet initialised (classic Notebook
// runs output scripts detached from their root). Each root keeps its own state.
const explorerScript = `
function init(root){
 if(root.getAttribute('data-ready'))return;
 root.setAttribute('data-ready','1');
 var st=root.getAttribute('data-view').split(',').map(Number),alpha=D.alpha;
 var map=root.querySelector('img.cvx-map'),under=root.querySelector('img.cvx-under'),stack=root.querySelector('.cvx-stack');
 var inp=root.querySelector('img.cvx-input'),cap=root.querySelector('.cvx-caption'),miss=root.querySelector('.cvx-missing');
 var rows=root.querySelectorAll('.cvx-row[data-axis]'),al=root.querySelector('input.cvx-alpha');
 function show(){
  var i=0;for(var a=0;a<4;a++)i=i*D.dims[a]+st[a];
  var p=D.cells[i],q=D.inputs.length?D.inputs[st[0]]:-1,over=D.over[i]&&q>=0;
  if(p>=0){
   map.src=D.pics[p];stack.style.display='block';miss.style.display='none';
   stack.className='cvx-stack'+(over?' cvx-over':'');
   if(over)under.src=D.pics[q];
   map.style.opacity=over?String(alpha):'1';
  }else{stack.style.display='none';miss.style.display='flex';}
  cap.textContent=D.captions[i]||'';
  if(inp&&q>=0)inp.src=D.pics[q];
  for(var r=0;r<rows.length;r++){
   var ax=+rows[r].getAttribute('data-axis'),s=rows[r].querySelector('input'),v=rows[r].querySelector('.cvx-value');
   if(s){s.value=st[ax];if(v)v.textContent=D.values[ax][st[ax]]||'\u2013';}
   var bs=rows[r].querySelectorAll('button');
   for(var k=0;k<bs.length;k++)bs[k].setAttribute('aria-pressed',String(+bs[k].getAttribute('data-i')===st[ax]));
  }
  root.setAttribute('data-view',st.join(','));
 }
 function wire(row){
  var ax=+row.getAttribute('data-axis'),s=row.querySelector('input');
  if(s)s.addEventListener('input',function(){st[ax]=+s.value;show();});
  var bs=row.querySelectorAll('button');
  for(var k=0;k<bs.length;k++)(function(b){b.addEventListener('click',function(){st[ax]=+b.getAttribute('data-i');show();});})(bs[k]);
 }
 for(var r=0;r<rows.length;r++)wire(rows[r]);
 if(al)al.addEventListener('input',function(){alpha=al.value/100;root.querySelector('.cvx-alpha-value').textContent=al.value+'%';show();});
 var th=root.querySelectorAll('img[data-pic]');
 for(var t=0;t<th.length;t++)th[t].src=D.pics[+th[t].getAttribute('data-pic')];
 show();
}
var me=document.currentScript&&document.currentScript.parentNode;
if(me&&me.getAttribute&&me.getAttribute('data-camviz-explorer')===D.id)init(me);
var all=document.querySelectorAll('[data-camviz-explorer="'+D.id+'"]');
for(var j=0;j<all.length;j++)init(all[j]);
`

// ShowExplorer displays e.HTML() in the cell's output (MIME type text/html). A nil
// explorer and HTML's errors are errors.
func ShowExplorer(e *Explorer) error {
	if !IsNotebook() {
		return nil
	}
	if e == nil {
		return fmt.Errorf("nb.ShowExplorer: explorer is nil; make one with nb.NewExplorer")
	}
	h, err := e.HTML()
	if err != nil {
		return fmt.Errorf("nb.ShowExplorer: %w", err)
	}
	return ShowHTML(h)
}
