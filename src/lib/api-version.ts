/** The Docker Engine API versions berthd speaks: the newest it reports and the oldest it accepts. */
export const API_VERSION = '1.45';
export const MIN_API_VERSION = '1.24';
