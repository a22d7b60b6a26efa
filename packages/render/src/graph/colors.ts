// Kargo stage colours as the Kargo UI paints them: palette names → hex, and a readable text colour on top.
import { KARGO_PALETTE, type KargoPaletteColor } from '@kargo/model';

/**
 * The hex value the Kargo UI (ColorMapHex in its stage utilities) draws for each palette name, so a graph
 * shows environments in the colours people already know from Kargo.
 */
export const KARGO_COLOR_HEX: Readonly<Record<KargoPaletteColor, string>> = {
  red: '#ed204e',
  salmon: '#fd5352',
  orange: '#fe7537',
  amber: '#e78a00',
  yellow: '#dfc546',
  lime: '#9bce22',
  avocado: '#84df75',
  green: '#1cac77',
  teal: '#1bc1a7',
  cyan: '#1dceca',
  sky: '#0dafd3',
  blue: '#3882ea',
  indigo: '#2d5edc',
  periwinkle: '#6380e1',
  violet: '#7851aa',
  purple: '#a9499d',
  fuchsia: '#d0469d',
  pink: '#e573a2',
  rose: '#f1619b',
  dragonfruit: '#fe43a3',
  gray: '#6a7382',
};

const HEX3 = /^#([0-9a-fA-F])([0-9a-fA-F])([0-9a-fA-F])$/;
const HEX6 = /^#[0-9a-fA-F]{6}$/;

function isPalette(color: string): color is KargoPaletteColor {
  return (KARGO_PALETTE as readonly string[]).includes(color);
}

/** A palette name or a hex colour (`#rgb` / `#rrggbb`) → lower-case `#rrggbb`; anything else → the Kargo gray. */
export function colorHex(color: string): string {
  if (isPalette(color)) return KARGO_COLOR_HEX[color];
  const short = HEX3.exec(color);
  if (short !== null) return `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}`.toLowerCase();
  if (HEX6.test(color)) return color.toLowerCase();
  return KARGO_COLOR_HEX.gray;
}

function channel(hex: string, at: number): number {
  const c = parseInt(hex.slice(at, at + 2), 16) / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** Black or white, whichever contrasts more with `fill` (WCAG relative luminance). */
export function textColorOn(fill: string): string {
  const hex = colorHex(fill);
  const luminance = 0.2126 * channel(hex, 1) + 0.7152 * channel(hex, 3) + 0.0722 * channel(hex, 5);
  // Contrast with white is 1.05/(L+0.05), with black (L+0.05)/0.05; they are equal at L ≈ 0.179.
  return luminance > 0.179 ? '#000000' : '#ffffff';
}
