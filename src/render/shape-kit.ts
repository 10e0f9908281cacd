/** The shape of template context values (see shape.ts), and the helpers a target's view shape is written with. */
export type Shape =
  /** anything below (free-form data) */
  | { t: 'any' }
  /** a string, number or boolean */
  | { t: 'leaf'; what?: string }
  | { t: 'obj'; props: Record<string, Shape>; extra?: Shape }
  | { t: 'list'; items: Shape };

export const leaf: Shape = { t: 'leaf' };
export const any: Shape = { t: 'any' };
export const map = (v: Shape = leaf): Shape => ({ t: 'obj', props: {}, extra: v });
export const obj = (props: Record<string, Shape>): Shape => ({ t: 'obj', props });
export const list = (items: Shape = any): Shape => ({ t: 'list', items });
