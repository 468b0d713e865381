export { ContractPipe } from './contract.pipe';
export { type Delivery } from './delivery';
export { DeliveryFailedError } from './delivery-failed.error';
export { defineContract, type Contract, type Envelope } from './envelope';
export { Inbox } from './inbox';
export { InvalidMessageError } from './invalid-message.error';
export { MessageStandings, type MessageStanding, type StandingState } from './message-standings';
export { Topics } from './topics';
export { UnitOfWork, type TransactionContext } from './unit-of-work';
