/**
 * Measures, in the browser, the smallest rendered text of each kind on the current deck page: body text, tables, small
 * print and code (inline or in blocks), and the labels inside SVG diagrams (their font size times the scale the image is drawn at). Runs
 * inside page.evaluate, so it is self-contained: no imports, no closures.
 */
export interface TextSizes {
  id: string;
  /** smallest font size in px per kind, with a sample of the text that has it */
  body?: { px: number; text: string };
  table?: { px: number; text: string };
  small?: { px: number; text: string };
  code?: { px: number; text: string };
  diagram?: { px: number; text: string };
}

export function measureSlides(): TextSizes[] {
  const slides = Array.from(document.querySelectorAll<HTMLElement>('.deck-stage > .slide'));
  const before = slides.findIndex((s) => s.classList.contains('current'));
  const results: TextSizes[] = [];
  const keep = (r: TextSizes, kind: Exclude<keyof TextSizes, 'id'>, px: number, text: string) => {
    const rounded = Math.round(px * 10) / 10;
    if (!r[kind] || rounded < r[kind]!.px) r[kind] = { px: rounded, text: text.trim().slice(0, 40) };
  };
  for (const slide of slides) {
    slides.forEach((s) => s.classList.toggle('current', s === slide));
    const r: TextSizes = { id: slide.dataset.id ?? '' };
    const scale = slide.getBoundingClientRect().width / slide.offsetWidth;
    const walker = document.createTreeWalker(slide.querySelector('.slide-body')!, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement!;
      if (!node.textContent!.trim() || el.closest('.notes')) continue;
      const px = parseFloat(getComputedStyle(el).fontSize) * scale;
      const kind = el.closest('table') ? 'table' : el.closest('.small, .sources') ? 'small' : el.closest('code') ? 'code' : 'body';
      keep(r, kind, px, node.textContent!);
    }
    // Diagrams are <img> with an SVG data: URI; draw each one inline at the image's size and read its text elements.
    for (const img of Array.from(slide.querySelectorAll<HTMLImageElement>('img[src^="data:image/svg+xml"]'))) {
      const box = img.getBoundingClientRect();
      const bytes = Uint8Array.from(atob(img.src.slice(img.src.indexOf(',') + 1)), (c) => c.charCodeAt(0));
      const svgText = new TextDecoder().decode(bytes);
      const svg = new DOMParser().parseFromString(svgText, 'image/svg+xml').documentElement as unknown as SVGSVGElement;
      svg.setAttribute('width', String(box.width));
      svg.setAttribute('height', String(box.height));
      const holder = document.createElement('div');
      holder.style.cssText = 'position:fixed;left:0;top:0;visibility:hidden';
      holder.append(document.importNode(svg, true));
      document.body.append(holder);
      for (const text of Array.from(holder.querySelectorAll<SVGTextElement>('text'))) {
        if (!text.textContent!.trim()) continue;
        const ctm = text.getScreenCTM();
        const userScale = ctm ? Math.hypot(ctm.a, ctm.b) : 1;
        keep(r, 'diagram', parseFloat(getComputedStyle(text).fontSize) * userScale, text.textContent!);
      }
      holder.remove();
    }
    results.push(r);
  }
  slides.forEach((s, i) => s.classList.toggle('current', i === before));
  return results;
}
