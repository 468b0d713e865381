export { ContractPipe } from './contract.pipe';
export { defineContract, type Contract, type Envelope } from './envelope';
export { Inbox } from './inbox';
export { InvalidMessageError } from './invalid-message.error';
export { Topics } from './topics';
export { UnitOfWork, type TransactionContext } from './unit-of-work';
