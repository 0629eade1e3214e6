// The marker variable alone, so that what only names it (a process's environment, built while a
// stack file is checked) does not load the process-tree machinery and its dependencies.

/**
 * The variable every process of a stack carries, `<stack id>.<run>`: inherited by everything the
 * process starts, down to descendants that left its group, its session or its parent, so they can be
 * found and stopped after the process that started them is gone. Linux reads it from /proc; other
 * systems fall back to the process group and the descendants seen while the parent lived.
 */
export const RUN_MARKER_VARIABLE = 'SWITCHYARD_RUN';
