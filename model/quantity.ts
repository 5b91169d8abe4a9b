/**
 * Kubernetes quantities in the form the API server stores them.
 *
 * The API server canonicalizes every quantity it stores (`1000m` CPU becomes `1`, `1024Mi` becomes
 * `1Gi`: k8s.io/apimachinery resource.Quantity's String), and the kubernetes Terraform provider compares
 * text: a quantity written in any other form shows as a change in every plan, forever. The toolkit
 * writes every quantity of an object Terraform manages through these functions. The deploy rehearsal
 * (docs/deploy-rehearsal.md) checks them against a real API server (the second plan is empty), and the
 * CI drill against k8s.io/apimachinery's own Quantity (conformance/terraform-engine/).
 */

const DECIMAL_SUFFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E'] as const;
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;

function requireWhole(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${what}: received ${value}; expected a whole number >= 0`);
}

/** A whole count of base units in decimal SI (`1000` -> `1k`, `1200` -> `1200`). */
function decimalQuantity(units: number): string {
  let mantissa = units;
  let exponent = 0;
  while (mantissa !== 0 && mantissa % 1000 === 0 && exponent < DECIMAL_SUFFIXES.length - 1) {
    mantissa /= 1000;
    exponent += 1;
  }
  return `${mantissa}${DECIMAL_SUFFIXES[exponent]}`;
}

/** CPU in millicores, canonical: `250` -> `250m`, `1000` -> `1`, `1500` -> `1500m`. */
export function cpuQuantity(milliCores: number): string {
  requireWhole(milliCores, 'cpu millicores');
  return milliCores % 1000 === 0 ? decimalQuantity(milliCores / 1000) : `${milliCores}m`;
}

/** A plain count (pods, cores), canonical: `40` -> `40`, `2000` -> `2k`. */
export function countQuantity(count: number): string {
  requireWhole(count, 'count');
  return decimalQuantity(count);
}

/**
 * Memory, canonical in binary SI: the largest power-of-1024 suffix that leaves a whole mantissa
 * (`512Mi`, `1024Mi` -> `1Gi`, `1536Mi`, `1024Gi` -> `1Ti`).
 */
export function memoryQuantity(amount: number, unit: 'Mi' | 'Gi'): string {
  requireWhole(amount, `memory in ${unit}`);
  if (amount === 0) return '0';
  let mantissa = amount;
  let exponent = BINARY_SUFFIXES.indexOf(unit);
  while (mantissa % 1024 === 0 && exponent < BINARY_SUFFIXES.length - 1) {
    mantissa /= 1024;
    exponent += 1;
  }
  return `${mantissa}${BINARY_SUFFIXES[exponent]}`;
}
