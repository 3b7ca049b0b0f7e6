export { frameEnergies, frameFeatures, frameCount, FRAME, HOP, SAMPLE_RATE, type FrameFeatures } from "./frames.js";
export { segmentStats, SEGMENT_FEATURE_NAMES, SEGMENT_FEATURE_DIM, FEATURE_VERSION } from "./stats.js";
export { energyRegions, type Region, type RegionOptions } from "./regions.js";
export { featurise, type Featurised } from "./segment.js";
export { asWindow, piecesInNewAudio, roundScore, roundTime, type AudioWindow, type RegionPiece, type TimeSpan } from "./window.js";
export { loadClassifier, predictProba, type ClassifierWeights } from "./classifier.js";
export { normaliseLevel, raiseQuiet, speechLevelDb, REFERENCE_DB } from "./level.js";
export { voiceFeatures, voiceFrames, segmentVector, sequenceInput, VOICE_FEATURE_VERSION, VOICE_EXTRA_NAMES, SEQUENCE_CHANNELS, type VoiceFrames } from "./voice.js";
