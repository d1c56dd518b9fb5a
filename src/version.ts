/** The software's name and version, as NodeInfo and the User-Agent report them. */
export const SOFTWARE = { name: "outpost", version: "0.1.0" } as const;
