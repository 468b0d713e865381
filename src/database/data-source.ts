import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

/** For the TypeORM CLI (`migration:generate`, `migration:show`): the app's own options. */
export default new DataSource(dataSourceOptions(loadConfig()));
