// A user stage: marks customers whose lifetime value is at least `min` (default 1000)
// as VIPs. Run it with `--stage ./examples/tag-vip.mjs:min=500`; test it with
// `recflow test examples/pipeline.test.yaml`.
export const stage = {
  name: 'tag-vip',
  options: {
    safeParse(v) {
      const min = Number(v.min ?? 1000);
      if (!Number.isFinite(min)) return { success: false, error: { issues: [{ path: ['min'], message: 'expected a number' }] } };
      return { success: true, data: { min } };
    },
  },
  create({ min }) {
    return {
      name: 'tag-vip',
      process(records) {
        for (const r of records) {
          // replace r.value, never mutate it: r.raw may be the same object
          if (typeof r.value.lifetime_value === 'number') r.value = { ...r.value, vip: r.value.lifetime_value >= min };
        }
        return { kept: records, rejected: [] };
      },
    };
  },
};
