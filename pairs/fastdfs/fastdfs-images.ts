/** The FastDFS pairs' image. */
export const FASTDFS_IMAGES = {
  /** FastDFS tracker and storage (written by the toolkit: no official chart). */
  fastdfs: { name: 'fastdfs', tag: 'V6.13.0' },
} as const;
