/**
 * Installs dsl/'s validators generated at build time (portal/vite.config.ts, dsl/precompile.ts) before
 * any check runs: imported first by the modules that validate. The same schemas and Ajv options as
 * `pulse validate`, so diagnostics agree, and no eval, which the portal's CSP forbids.
 */
import { validators } from 'virtual:pulse-validators';
import { installPrecompiledValidators } from '../../../contract/validation.ts';

installPrecompiledValidators(validators);
