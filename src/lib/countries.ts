import countries from "i18n-iso-countries";

/** ISO 3166-1 alpha-2, alpha-3 or numeric ("784") to alpha-2; null when it is none of them. */
export function toAlpha2(value: string): string | null {
  const v = value.trim().toUpperCase();
  if (/^\d{1,3}$/.test(v)) return countries.numericToAlpha2(v.padStart(3, "0")) ?? null;
  if (/^[A-Z]{3}$/.test(v)) return countries.alpha3ToAlpha2(v) ?? null;
  if (/^[A-Z]{2}$/.test(v) && countries.isValid(v)) return v;
  return null;
}
