import { inject } from 'vitest';
import { motoEnvironment } from '../../dev/aws/moto';

// Integration files talk to the one moto server global-setup.ts started, with dummy credentials.
Object.assign(process.env, motoEnvironment(inject('motoEndpoint')));
