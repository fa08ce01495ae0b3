import type { StageConfig } from '../../../lib/config/stage-config';
import type { TrainingStats } from '../../../model/src/training-stats';
import type { AnalysisEngine } from '../duckdb-engine';
export async function openAwsEngine(_c: StageConfig, _o: unknown): Promise<{ engine: AnalysisEngine; trainingStats: Map<string, TrainingStats> }> { throw new Error('not yet'); }
