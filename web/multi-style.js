// The demo page's controls for a multi-style model (conditional instance norm: one network, N styles): a menu of its
// styles and a slider that mixes it with a second one (the two styles' instance-norm γ/β interpolated). Kept in its
// own module so the page's other pickers stay independent; app.js only calls attachStylePicker after loading a model.
// A single-style model gets no controls. State for scripts and tests: window.nst.styleWeights (the weights applied).

/** Weights of `count` styles: (1 − t) of style a plus t of style b (a one-hot vector when t = 0 or a = b). */
export function mixWeights(count, a, b, t) {
  const w = new Array(count).fill(0);
  w[a] += 1 - t;
  w[b] += t;
  return w;
}

const CONTROLS_ID = 'multi-style';

/**
 * Shows the style controls for `model` (metadata `nst` from model.json: styles, styleNames) below the page's
 * controls, applies the picked weights with `setStyleWeights(model, w)` (from the model's nst-layers.js) and calls
 * `onChange()` when the user changes them. Removes any previous model's controls. Returns the weights applied.
 */
export function attachStylePicker(model, nstMeta, setStyleWeights, onChange) {
  document.getElementById(CONTROLS_ID)?.remove();
  const count = (nstMeta && nstMeta.styles) || 1;
  if (count < 2 || typeof setStyleWeights !== 'function') return [1];
  const names = Array.from({ length: count }, (_, i) => (nstMeta.styleNames && nstMeta.styleNames[i]) || `style ${i}`);

  const p = document.createElement('p');
  p.id = CONTROLS_ID;
  p.className = 'controls';
  const menu = (id, selected) => {
    const select = document.createElement('select');
    select.id = id;
    names.forEach((name, i) => select.add(new Option(`${i}: ${name.replace(/\.[^.]*$/, '')}`, String(i), false, i === selected)));
    return select;
  };
  const label = (text, control) => {
    const l = document.createElement('label');
    l.append(`${text} `, control);
    return l;
  };
  const first = menu('style-index', 0);
  const second = menu('style-mix-with', 1);
  const slider = Object.assign(document.createElement('input'), { id: 'style-mix', type: 'range', min: '0', max: '1', step: '0.05', value: '0' });
  const shown = Object.assign(document.createElement('output'), { id: 'style-mix-value', textContent: '0%' });
  p.append(label('network style', first), ' ', label('mix with', second), ' ', slider, ' ', shown);
  const controls = document.querySelector('p.controls');
  (controls ? controls.after.bind(controls) : document.body.prepend.bind(document.body))(p);

  const apply = () => {
    const t = Number(slider.value);
    shown.textContent = `${Math.round(t * 100)}%`;
    const w = mixWeights(count, Number(first.value), Number(second.value), t);
    setStyleWeights(model, w);
    if (window.nst) window.nst.styleWeights = w;
    return w;
  };
  const changed = () => {
    apply();
    onChange();
  };
  first.addEventListener('change', changed);
  second.addEventListener('change', changed);
  slider.addEventListener('input', apply); // the label follows the thumb; restyling waits for the release
  slider.addEventListener('change', changed);
  return apply();
}
