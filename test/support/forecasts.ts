/** The forecast for an agent with no live load sample: no information, the neutral load, over the default 5 s horizon. */
export const NO_INFORMATION = {
  willOverload: false,
  predictedLoad: 0.5,
  confidence: 0,
  samples: 0,
  horizonSeconds: 5,
  basis: 'signals',
} as const;
