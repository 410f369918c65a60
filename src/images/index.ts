/** Public API of the image layer: CRIU image files, their kinds, magics and names. */
export { type Entry, encodeImage, decodeImage, writeImage, readImage, readImageOptional, detectKind } from './image-file';
export { type ImageKind, type ImageKindName, type ExtraPayload, IMAGE_KINDS, IMAGE_KIND_NAMES, imageKind, isServiceImage, kindByMagic } from './kinds';
export { IMG_COMMON, IMG_SERVICE, IMAGES_V1_1, MAGIC, hexMagic } from './magic';
export * from './names';
export { PE_PARENT, PE_LAZY, PE_PRESENT, type PagemapRange, normalizePagemapEntry } from './pagemap';
