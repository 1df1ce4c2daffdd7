// `recflow run ... | head`: the reader of stdout left. A pipeline writing to stdout
// takes it over (stop reading, summary, exit 0); anything else exits 0 at once.
export const stdoutGone: { handler?: () => void } = {};
