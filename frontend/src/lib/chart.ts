/** What the hand-drawn SVG charts share: tick steps, an EMA, and drawing at the container's width. */
import { onBeforeUnmount, onMounted, ref, type Ref } from "vue";

/** About `count` round ticks from min to max (1, 2, 2.5 or 5 times a power of ten apart). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step) ticks.push(+v.toFixed(10));
  return ticks;
}

/** An exponential moving average: reads better than per-batch noise (heavier smoothing for long series). */
export function ema(values: number[]): number[] {
  const alpha = values.length > 50 ? 0.1 : 0.3;
  let acc = values[0] ?? 0;
  return values.map((v, i) => (acc = i ? alpha * v + (1 - alpha) * acc : v));
}

/**
 * The element's width in CSS pixels, followed as it resizes: a chart drawn in a viewBox of this width
 * keeps its 11px tick labels 11px on a phone instead of scaling them down to unreadable.
 */
export function useWidth(el: Ref<HTMLElement | null>, fallback = 640): Ref<number> {
  const width = ref(fallback);
  let observer: ResizeObserver | undefined;
  onMounted(() => {
    if (!el.value) return;
    width.value = Math.round(el.value.clientWidth) || fallback;
    observer = new ResizeObserver((entries) => {
      const w = Math.round(entries[0]?.contentRect.width ?? 0);
      if (w > 0) width.value = w;
    });
    observer.observe(el.value);
  });
  onBeforeUnmount(() => observer?.disconnect());
  return width;
}
